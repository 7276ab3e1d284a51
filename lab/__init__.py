"""The lab: code for the tools (benchmarks, analysis, data preparation, logs,
runner options), never imported by training.

``custom_imports=['mmagic_asgan']`` loads the plug-in only (hooks, loss,
attacks, probes, metrics, models, compatibility fixes); ``tools/`` imports
from here.
"""
