package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const (
	confPath = "/etc/cni/net.d/10-kindnet.conflist"
	// routeProto marks the routes kdevnet installs, so it can find and remove stale ones.
	routeProto = netlink.RouteProtocol(0x6b)
	masqChain  = "KDEVNET-MASQ"
)

type netState struct {
	hostIP       net.IP
	clusterCIDRs []*net.IPNet
	mtu          int
	lastConf     []byte
}

// reconcile brings the CNI config, the routes and the masquerade rules in line with peers.
func (n *netState) reconcile(peers map[string]peer) {
	want := map[string]netlink.Route{}
	for name, p := range peers {
		if containsIP(p.InternalIPs, n.hostIP) {
			n.writeConf(p.PodCIDRs)
			continue
		}
		for _, c := range p.PodCIDRs {
			gw := sameFamily(p.InternalIPs, c.IP)
			if gw == nil {
				log.Printf("node %s: no InternalIP for podCIDR %s", name, c)
				continue
			}
			want[c.String()] = netlink.Route{Dst: c, Gw: gw, Protocol: routeProto}
		}
	}
	n.syncRoutes(want)
	n.syncMasquerade()
}

func (n *netState) writeConf(podCIDRs []*net.IPNet) {
	if len(podCIDRs) == 0 {
		return // not allocated yet
	}
	var ranges [][]map[string]string
	var routes []map[string]string
	for _, c := range podCIDRs {
		ranges = append(ranges, []map[string]string{{"subnet": c.String()}})
		if c.IP.To4() != nil {
			routes = append(routes, map[string]string{"dst": "0.0.0.0/0"})
		} else {
			routes = append(routes, map[string]string{"dst": "::/0"})
		}
	}
	conf := map[string]any{
		"cniVersion": "0.3.1",
		"name":       "kindnet",
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"ipMasq": false, // syncMasquerade does it for the whole pod network
				"mtu":    n.mtu,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": "/run/cni-ipam-state",
					"routes":  routes,
					"ranges":  ranges,
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	data, _ := json.MarshalIndent(conf, "", "  ")
	if bytes.Equal(data, n.lastConf) {
		return
	}
	if err := writeAtomic(confPath, data); err != nil {
		log.Printf("writing %s: %v", confPath, err)
		return
	}
	n.lastConf = data
	log.Printf("wrote %s for %v", confPath, podCIDRs)
}

func (n *netState) syncRoutes(want map[string]netlink.Route) {
	have, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Protocol: routeProto}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		log.Printf("listing routes: %v", err)
	}
	for _, r := range have {
		if w, ok := want[r.Dst.String()]; !ok || !w.Gw.Equal(r.Gw) {
			if err := netlink.RouteDel(&r); err != nil {
				log.Printf("deleting route %s via %s: %v", r.Dst, r.Gw, err)
			}
		}
	}
	for _, r := range want {
		if err := netlink.RouteReplace(&r); err != nil {
			log.Printf("route %s via %s: %v", r.Dst, r.Gw, err)
		}
	}
}

// syncMasquerade makes sure traffic from pods to anything outside the cluster's pod network
// and outside this node leaves with the node's address, as kindnetd's masquerade agent does.
func (n *netState) syncMasquerade() {
	for _, tool := range []string{"iptables", "ip6tables"} {
		var rules [][]string
		for _, c := range n.clusterCIDRs {
			if (c.IP.To4() != nil) == (tool == "iptables") {
				rules = append(rules, []string{"-d", c.String(), "-j", "RETURN"})
			}
		}
		if len(rules) == 0 {
			continue
		}
		for _, c := range n.clusterCIDRs {
			if (c.IP.To4() != nil) == (tool == "iptables") {
				rules = append(rules, []string{"-s", c.String(), "-j", "MASQUERADE"})
			}
		}
		if err := ensureChain(tool, rules); err != nil {
			log.Printf("%s masquerade rules: %v", tool, err)
		}
	}
}

// ensureChain replaces the rules of masqChain in one iptables-restore transaction (so no
// packet sees it half-written) and makes sure POSTROUTING jumps to it.
func ensureChain(tool string, rules [][]string) error {
	var in strings.Builder
	fmt.Fprintf(&in, "*nat\n:%s - [0:0]\n", masqChain)
	for _, r := range rules {
		fmt.Fprintf(&in, "-A %s %s\n", masqChain, strings.Join(r, " "))
	}
	in.WriteString("COMMIT\n")
	restore := exec.Command(tool+"-restore", "-w", "5", "--noflush")
	restore.Stdin = strings.NewReader(in.String())
	if out, err := restore.CombinedOutput(); err != nil {
		return fmt.Errorf("%s-restore: %v: %s", tool, err, bytes.TrimSpace(out))
	}
	jump := []string{"POSTROUTING", "-m", "addrtype", "!", "--dst-type", "LOCAL",
		"-m", "comment", "--comment", "kdevnet: masquerade pod traffic leaving the pod network", "-j", masqChain}
	if exec.Command(tool, append([]string{"-w", "5", "-t", "nat", "-C"}, jump...)...).Run() == nil {
		return nil
	}
	if out, err := exec.Command(tool, append([]string{"-w", "5", "-t", "nat", "-A"}, jump...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s -A %v: %v: %s", tool, jump, err, bytes.TrimSpace(out))
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// mtuOf returns the MTU of the interface that holds ip, or 1500.
func mtuOf(ip net.IP) int {
	links, _ := netlink.LinkList()
	for _, l := range links {
		addrs, _ := netlink.AddrList(l, unix.AF_UNSPEC)
		for _, a := range addrs {
			if a.IP.Equal(ip) {
				return l.Attrs().MTU
			}
		}
	}
	return 1500
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, i := range ips {
		if i.Equal(ip) {
			return true
		}
	}
	return false
}

func sameFamily(ips []net.IP, like net.IP) net.IP {
	for _, i := range ips {
		if (i.To4() != nil) == (like.To4() != nil) {
			return i
		}
	}
	return nil
}
