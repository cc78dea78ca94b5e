"""``actorgrpc bench``: actorgrpc's paths measured against raw gRPC in the same run."""
