"""decide: participatory budgeting for community health.

Kept light on purpose: auditors import `decide.allocation` without Flask.
"""

__version__ = "0.1.0"
