"""Revenue forecasting (issue 10): a statsmodels model zoo chosen per series by backtest.

`from models_py.forecasting import forecast` is cheap: statsmodels is imported only when a
model is fitted.
"""

from models_py.forecasting.engine import forecast

__all__ = ["forecast"]
