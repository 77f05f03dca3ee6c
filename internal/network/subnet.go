// Package network manages an environment's dedicated Docker network: it chooses a
// subnet that collides with nothing, creates the network, and removes it.
package network

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// candidatePools are searched in order for a free /24. 172.30/15 comes first because
// Docker's own default pools start at 172.17 and count upwards, and VPNs favour 10/8.
var candidatePools = []netip.Prefix{
	netip.MustParsePrefix("172.30.0.0/15"),
	netip.MustParsePrefix("192.168.128.0/17"),
	netip.MustParsePrefix("10.210.0.0/16"),
}

// ErrNoSubnet means every candidate subnet collides with a network or a route.
var ErrNoSubnet = errors.New("no free private /24 subnet")

// ChooseSubnet returns the first /24 of the candidate pools that overlaps none of the
// taken prefixes (Docker networks and host routes).
func ChooseSubnet(taken []netip.Prefix) (netip.Prefix, error) {
	for _, pool := range candidatePools {
		base := binary.BigEndian.Uint32(pool.Addr().AsSlice())
		n := uint32(1) << (24 - pool.Bits())
		for i := range n {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], base+i<<8)
			p := netip.PrefixFrom(netip.AddrFrom4(b), 24)
			if !overlapsAny(p, taken) {
				return p, nil
			}
		}
	}
	return netip.Prefix{}, fmt.Errorf("%w in %v: set network.subnet in kdev.yaml", ErrNoSubnet, candidatePools)
}

// Overlap returns the first of taken that overlaps p.
func Overlap(p netip.Prefix, taken []netip.Prefix) (netip.Prefix, bool) {
	for _, t := range taken {
		if p.Overlaps(t) {
			return t, true
		}
	}
	return netip.Prefix{}, false
}

func overlapsAny(p netip.Prefix, taken []netip.Prefix) bool {
	_, ok := Overlap(p, taken)
	return ok
}

// HostRoutes returns the IPv4 destinations of the host's routing table, default route
// excluded. It reads /proc/net/route; where there is none (macOS, where Docker runs in
// a VM with its own routes) it returns nothing.
func HostRoutes() []netip.Prefix {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil
	}
	defer f.Close()
	routes, _ := parseRoutes(f)
	return routes
}

// parseRoutes reads the kernel's route table format: hex little-endian destination and
// mask in the second and eighth columns.
func parseRoutes(r io.Reader) ([]netip.Prefix, error) {
	var out []netip.Prefix
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] == "Iface" {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil || mask == 0 {
			continue
		}
		var d [4]byte
		binary.LittleEndian.PutUint32(d[:], uint32(dst))
		var m [4]byte
		binary.LittleEndian.PutUint32(m[:], uint32(mask))
		bits := 0
		for _, b := range m {
			for ; b != 0; b <<= 1 {
				bits++
			}
		}
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(d), bits).Masked())
	}
	return out, sc.Err()
}
