"""Lead scores (issue 13, handbook 6.2.2 "制定线索评分标准"): an explainable, calibrated
logistic model of "this lead becomes a won deal within N days", trained on older leads and
measured on newer ones against two baselines (the base rate, conversion by source).

Plain Python over the warehouse (DuckDB for the features, statsmodels for the fit); statsmodels
is imported inside the functions that fit, since importing it costs seconds.
"""
