"""The executive: totem ordering and membership, and the AIS services that ride on it."""
