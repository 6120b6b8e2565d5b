"""Files: atomic writes, robomimic's HDF5 format (and the labelled file), behavior-labelled
tensors read from it, the weights file."""
