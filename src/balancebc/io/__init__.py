"""Files: atomic writes, robomimic's HDF5 format, the weights file."""
