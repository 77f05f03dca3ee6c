package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
)

// Spec is everything needed to create one registry container. It is pure data, built
// from the configuration, so that a change can be detected by comparing hashes.
type Spec struct {
	Name   string
	Image  string
	Role   string
	Labels map[string]string
	// Volume holds the registry's data; it outlives the container.
	Volume       string
	VolumeLabels map[string]string
	// Config is the registry's config.yml. It may hold upstream credentials, so it is
	// copied into the container, never passed through environment or labels.
	Config []byte
	// HostPort publishes the API on 127.0.0.1; 0 picks a free port.
	HostPort int
	Mode     Mode
	// Env is the container's environment: the proxy it reaches its upstream through.
	Env []string
	// CA is a PEM bundle of authorities it trusts beside the public ones, copied in
	// with the config.
	CA []byte
}

// Hash identifies the spec; it is stored in a label and compared on every `up`.
func (s Spec) Hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%d\n%s\n", s.Image, s.Volume, s.HostPort, s.Mode)
	h.Write(s.Config)
	// Only when set, so that the mirrors made before these existed keep their hash.
	if len(s.Env) > 0 {
		fmt.Fprintf(h, "env\n%s\n", strings.Join(s.Env, "\n"))
	}
	if len(s.CA) > 0 {
		h.Write([]byte("ca\n"))
		h.Write(s.CA)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Access is how a mirror reaches its upstream, beyond its URL: the password of its
// account, the authorities it trusts, and the proxy it goes through (as environment).
type Access struct {
	Password string
	CA       []byte
	Env      []string
}

// MirrorSpec is the container of a mirror in front of m's upstream.
func MirrorSpec(m config.Mirror, image string, access Access, mode Mode) (Spec, error) {
	user := ""
	if m.Credentials != nil {
		user = m.Credentials.Username
	}
	cfg, err := Marshal(MirrorConfig(m.RemoteURL, user, access.Password, mode))
	if err != nil {
		return Spec{}, err
	}
	s := Spec{
		Name:   MirrorName(m),
		Image:  image,
		Role:   docker.RoleMirror,
		Volume: CacheVolume(m),
		VolumeLabels: docker.Labels(docker.RoleCache,
			docker.LabelRegistry, m.Registry,
			docker.LabelRemote, m.RemoteURL,
			docker.LabelKey, Key(m)),
		Config: cfg,
		Mode:   mode,
		CA:     access.CA,
	}
	if mode == ModeProxy {
		s.Env = access.Env
	}
	s.Labels = docker.Labels(docker.RoleMirror,
		docker.LabelRegistry, m.Registry,
		docker.LabelRemote, m.RemoteURL,
		docker.LabelKey, Key(m),
		docker.LabelMode, string(mode),
		docker.LabelSpec, s.Hash())
	return s, nil
}

// LocalSpec is the container of an environment's local registry on 127.0.0.1:port.
func LocalSpec(env string, port int, image string) (Spec, error) {
	cfg, err := Marshal(LocalConfig())
	if err != nil {
		return Spec{}, err
	}
	s := Spec{
		Name:         LocalName(env),
		Image:        image,
		Role:         docker.RoleRegistry,
		Volume:       LocalVolume(env),
		VolumeLabels: docker.Labels(docker.RoleRegistryData, docker.LabelEnv, env),
		Config:       cfg,
		HostPort:     port,
	}
	s.Labels = docker.Labels(docker.RoleRegistry, docker.LabelEnv, env, docker.LabelSpec, s.Hash())
	return s, nil
}

var loopback = netip.MustParseAddr("127.0.0.1")

// createOptions translates the spec into Docker's create request, attached to net.
// Both ports are published on 127.0.0.1 only: a cache must not be an open proxy on the LAN.
func (s Spec) createOptions(net string) client.ContainerCreateOptions {
	api := network.MustParsePort(registryPort + "/tcp")
	dbg := network.MustParsePort(debugPort + "/tcp")
	hostPort := ""
	if s.HostPort != 0 {
		hostPort = strconv.Itoa(s.HostPort)
	}
	return client.ContainerCreateOptions{
		Name: s.Name,
		Config: &container.Config{
			Image:        s.Image,
			Labels:       s.Labels,
			Env:          s.env(),
			ExposedPorts: network.PortSet{api: {}, dbg: {}},
		},
		HostConfig: &container.HostConfig{
			RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
			PortBindings: network.PortMap{
				api: {{HostIP: loopback, HostPort: hostPort}},
				dbg: {{HostIP: loopback}},
			},
			Mounts: s.mounts(),
		},
		NetworkingConfig: &network.NetworkingConfig{
			EndpointsConfig: map[string]*network.EndpointSettings{net: {}},
		},
	}
}

// caDir is where a registry container holds the extra authorities it trusts. Go reads
// every file in the directories of SSL_CERT_DIR, and still reads the image's own
// bundle (/etc/ssl/certs/ca-certificates.crt), so the public authorities stay trusted.
const caDir = "/etc/kdev/ca"

func (s Spec) env() []string {
	env := s.Env
	if len(s.CA) > 0 {
		env = append(slices.Clone(env), "SSL_CERT_DIR="+caDir+":/etc/ssl/certs")
	}
	return env
}

func (s Spec) mounts() []mount.Mount {
	if s.Volume == "" {
		return nil
	}
	return []mount.Mount{{Type: mount.TypeVolume, Source: s.Volume, Target: dataDir}}
}
