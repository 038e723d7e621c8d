// A tiny static HTTP server used as a test workload on the local cluster: it answers every path
// with a JSON line naming itself, so a test can tell that its pod really runs and serves.
// Listens on $PORT (default 8080); $MESSAGE is echoed back.
package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"server": "hp-echo", "host": host, "path": r.URL.Path, "message": os.Getenv("MESSAGE")})
	})
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
		<-stop
		os.Exit(0)
	}()
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
