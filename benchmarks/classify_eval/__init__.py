"""The labelled evaluation set for ``incident_lab classify`` (generator and metrics)."""
