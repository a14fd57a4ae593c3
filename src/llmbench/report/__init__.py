"""The self-contained HTML report: data shaping (`data.py`) and rendering (`render.py`)."""
