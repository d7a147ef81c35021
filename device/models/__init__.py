"""The models manifest and installing model files into the models directory, hash-checked."""
