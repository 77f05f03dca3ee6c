package network

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func TestChooseSubnet(t *testing.T) {
	tests := []struct {
		name  string
		taken []netip.Prefix
		want  string
	}{
		{"nothing taken", nil, "172.30.0.0/24"},
		{"docker default bridge only", prefixes("172.17.0.0/16"), "172.30.0.0/24"},
		{"first taken by a network", prefixes("172.30.0.0/24"), "172.30.1.0/24"},
		{"VPN route over 172.30/16", prefixes("172.30.0.0/16"), "172.31.0.0/24"},
		{"wide VPN route over 172.16/12", prefixes("172.16.0.0/12"), "192.168.128.0/24"},
		{"everything but 10.210", prefixes("172.16.0.0/12", "192.168.0.0/16"), "10.210.0.0/24"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChooseSubnet(tc.taken)
			if err != nil || got.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestChooseSubnetNoneFree(t *testing.T) {
	_, err := ChooseSubnet(prefixes("172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8"))
	if !errors.Is(err, ErrNoSubnet) || !strings.Contains(err.Error(), "network.subnet") {
		t.Fatalf("got %v, want ErrNoSubnet telling to set network.subnet", err)
	}
}

func TestParseRoutes(t *testing.T) {
	table := `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	0102000A	0003	0	0	0	00000000	0	0	0
eth0	0000000A	00000000	0001	0	0	0	0000FFFF	0	0	0
tun0	00001EAC	00000000	0001	0	0	0	0000FEFF	0	0	0
docker0	000011AC	00000000	0001	0	0	0	0000FFFF	0	0	0
`
	got, err := parseRoutes(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	want := "[10.0.0.0/16 172.30.0.0/15 172.17.0.0/16]"
	var s []string
	for _, p := range got {
		s = append(s, p.String())
	}
	if "["+strings.Join(s, " ")+"]" != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}
