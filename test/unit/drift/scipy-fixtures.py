# Writes scipy-fixtures.json, the reference values of test/unit/drift/statistics.test.ts.
# Run once with the ML environment: .venv/ml/bin/python test/unit/drift/scipy-fixtures.py > test/unit/drift/scipy-fixtures.json
# (made with numpy 2.4.6, scipy 1.17.1). p_stephens is the p-value src/drift/ks.ts computes:
# the Kolmogorov survival function at (sqrt(en) + 0.12 + 0.11/sqrt(en)) * D; p_asymp_scipy is scipy's own
# ks_2samp(method="asymp"), for comparison. chi2_contingency runs without the Yates correction, as src/drift/chi2.ts.
import json, numpy as np
from scipy import stats, special
out = {}
# KS samples: small integer-valued samples with ties, and two larger normal samples (seed 7)
a = [0,0,0,1,1,2,3,3,3,4,5,5,6,8,9]
b = [0,1,1,1,2,2,2,3,4,4,4,5,7,7,8,9,9,10,11,12]
rng = np.random.default_rng(7)
c = [round(float(x), 6) for x in rng.normal(0, 1, 300)]
d = [round(float(x), 6) for x in rng.normal(0.2, 1.1, 400)]
def ks(x, y):
    r = stats.ks_2samp(x, y, method='asymp')
    en = len(x)*len(y)/(len(x)+len(y)); rn = en**0.5
    return {'statistic': float(r.statistic), 'p_asymp_scipy': float(r.pvalue),
            'p_stephens': float(special.kolmogorov((rn + 0.12 + 0.11/rn) * r.statistic))}
out['ks'] = [{'a': a, 'b': b, **ks(a, b)}, {'a': c, 'b': d, **ks(c, d)}]
out['kolmogorov'] = [[l, float(special.kolmogorov(l))] for l in [0.2, 0.5, 0.8, 1.0, 1.17, 1.18, 1.5, 2.0, 3.0]]
out['chi2_sf'] = [[x, df, float(stats.chi2.sf(x, df))] for x, df in [(0.5, 1), (3.84, 1), (10, 3), (25, 10), (100, 5), (400, 30), (1500, 40)]]
tables = [([120, 80, 45, 5], [100, 95, 40, 15]), ([50, 50], [60, 40]), ([300, 0, 20, 7], [280, 12, 25, 0])]
out['chi2'] = []
for r, bt in tables:
    s, p, dof, _ = stats.chi2_contingency(np.array([r, bt]), correction=False)
    out['chi2'].append({'reference': r, 'batch': bt, 'statistic': float(s), 'df': int(dof), 'p_value': float(p)})
print(json.dumps(out, indent=1))
