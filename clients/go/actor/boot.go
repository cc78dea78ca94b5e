package actor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/actorgrpc/actorgrpc/clients/go/actorgrpcv1"
)

// BootFDEnv names the environment variable holding the number of the file
// descriptor the arbiter wrote the actor's ActorBoot to.
const BootFDEnv = "ACTORGRPC_BOOT_FD"

// maxBootBytes bounds what is read from the boot descriptor: an ActorBoot
// is a few kilobytes (its extra is the spawner's, bounded by the message size).
const maxBootBytes = 64 << 20

// ReadBoot reads the ActorBoot (protobuf's JSON mapping) from the file
// descriptor named by $ACTORGRPC_BOOT_FD, to its end, and closes it.
func ReadBoot() (*pb.ActorBoot, error) {
	value := os.Getenv(BootFDEnv)
	if value == "" {
		return nil, fmt.Errorf("$%s is not set: this program runs as an actor, started by an arbiter (serve --program)", BootFDEnv)
	}
	fd, err := strconv.Atoi(value)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("$%s=%q is not a file descriptor", BootFDEnv, value)
	}
	f := os.NewFile(uintptr(fd), "actor-boot")
	if f == nil {
		return nil, fmt.Errorf("$%s=%d is not an open file descriptor", BootFDEnv, fd)
	}
	defer f.Close()
	// The message is the whole file, wherever the descriptor stands (a pipe
	// cannot seek, and is read from where it is).
	_, _ = f.Seek(0, io.SeekStart)
	data, err := io.ReadAll(io.LimitReader(f, maxBootBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the boot message from descriptor %d: %w", fd, err)
	}
	return ParseBoot(data)
}

// ParseBoot reads an ActorBoot from protobuf's JSON mapping, and checks that
// it says who the actor is and where its monitor is.
func ParseBoot(data []byte) (*pb.ActorBoot, error) {
	boot := &pb.ActorBoot{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, boot); err != nil {
		return nil, fmt.Errorf("the boot message is not an ActorBoot: %w", err)
	}
	switch {
	case boot.GetAid() == "":
		return nil, errors.New("the boot message has no aid")
	case boot.GetMonitorAddress() == "":
		return nil, errors.New("the boot message has no monitor_address")
	case boot.GetSecret() == "":
		return nil, errors.New("the boot message has no secret")
	}
	if boot.GetMailboxHost() == "" {
		boot.MailboxHost = "127.0.0.1"
	}
	return boot, nil
}
