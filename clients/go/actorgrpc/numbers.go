package actorgrpc

import "github.com/actorgrpc/actorgrpc/clients/go/internal/wire"

// MaxSafeInteger is the largest integer a JSON-shaped value may carry: every
// integer within ±MaxSafeInteger is exact in a double (JavaScript's
// Number.MAX_SAFE_INTEGER). Larger ones, NaN and the infinities are refused
// before sending, with the protocol's message (ErrInvalidArgument).
const MaxSafeInteger = wire.MaxSafeInteger
