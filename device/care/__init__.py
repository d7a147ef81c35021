"""Care data: the model the answers read, the FHIR import, and the encrypted local store."""
