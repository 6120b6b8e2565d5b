"""Behavior labels: each demo's behavior, from the dataset's filter keys or found by
clustering (``discover``), checked and written as the labels file and ``labelled.hdf5``
(``assign``)."""
