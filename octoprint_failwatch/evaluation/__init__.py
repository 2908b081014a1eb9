"""Judgment measured on recordings of prints: `failwatch evaluate` and the plugin's "What would Failwatch have
done?" replay them through what ships (`replay.py`), from a labelled dataset or OctoPrint's timelapses
(`recordings.py`), and show the result (`report.py`)."""
