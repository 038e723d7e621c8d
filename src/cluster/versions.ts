/** What the local cluster is built from. Kubernetes 1.34 is the newest that runs on cgroup v1 with containerd 1.6 (this machine). */
export const K8S_VERSION = 'v1.34.12';
/** etcd ≥ 3.5 serves the /readyz and /livez that Kubernetes ≥ 1.31 probes (Debian's 3.4 does not). */
export const ETCD_VERSION = 'v3.6.16';
export const CRICTL_VERSION = 'v1.34.0';
