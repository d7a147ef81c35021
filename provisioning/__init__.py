"""IT's provisioning tool (identity, credentials, models, care data, self-test, wipe).

Not built yet: see the issue "Provisioning for IT". Care-data import already works through
``hemassist import-fhir``.
"""
