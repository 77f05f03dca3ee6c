// kdevnet is the node image's CNI daemon. It stands in for kindnetd (whose source the Go module
// proxy does not serve) and keeps kindnetd's contract, so kind's default CNI manifest runs it
// unchanged: a hostNetwork DaemonSet with HOST_IP and POD_SUBNET in its environment and
// /etc/cni/net.d mounted. On every node it
//   - writes /etc/cni/net.d/10-kindnet.conflist (ptp + host-local + portmap) for the node's podCIDRs,
//   - routes every other node's podCIDRs via that node's InternalIP,
//   - masquerades pod traffic that leaves the cluster's pod network.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

const resyncEvery = 30 * time.Second

// peer is what kdevnet needs to know about a node.
type peer struct {
	InternalIPs []net.IP
	PodCIDRs    []*net.IPNet
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	hostIP := net.ParseIP(os.Getenv("HOST_IP"))
	if hostIP == nil {
		return fmt.Errorf("HOST_IP=%q is not an IP address", os.Getenv("HOST_IP"))
	}
	clusterCIDRs, err := parseCIDRs(strings.Split(os.Getenv("POD_SUBNET"), ","))
	if err != nil {
		return fmt.Errorf("POD_SUBNET: %w", err)
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return err
	}
	client, err := nodeClient(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	n := &netState{hostIP: hostIP, clusterCIDRs: clusterCIDRs, mtu: mtuOf(hostIP)}
	log.Printf("kdevnet: HOST_IP=%s POD_SUBNET=%v MTU=%d", hostIP, clusterCIDRs, n.mtu)
	for ctx.Err() == nil {
		if err := follow(ctx, client, n); err != nil && ctx.Err() == nil {
			log.Printf("watching nodes: %v (retrying)", err)
			sleep(ctx, 2*time.Second)
		}
	}
	return nil
}

// follow lists the nodes, then applies watch events until the watch ends, reconciling the
// network whenever the set of peers changes and at least every resyncEvery.
func follow(ctx context.Context, client *rest.RESTClient, n *netState) error {
	list := &corev1.NodeList{}
	if err := client.Get().Resource("nodes").Do(ctx).Into(list); err != nil {
		return err
	}
	peers := map[string]peer{}
	for i := range list.Items {
		peers[list.Items[i].Name] = peerOf(&list.Items[i])
	}
	n.reconcile(peers)

	w, err := client.Get().Resource("nodes").
		VersionedParams(&metav1.ListOptions{Watch: true, ResourceVersion: list.ResourceVersion}, paramCodec).
		Watch(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	tick := time.NewTicker(resyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			n.reconcile(peers)
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil // the server closed the watch: list again
			}
			node, isNode := ev.Object.(*corev1.Node)
			if !isNode {
				return fmt.Errorf("watch event %s: %v", ev.Type, ev.Object)
			}
			old, had := peers[node.Name]
			if ev.Type == watch.Deleted {
				delete(peers, node.Name)
			} else {
				peers[node.Name] = peerOf(node)
			}
			if !had || ev.Type == watch.Deleted || !reflect.DeepEqual(old, peers[node.Name]) {
				n.reconcile(peers)
			}
		}
	}
}

// nodeClient is a REST client for the core/v1 API that knows only core/v1 types: a
// clientset would link every API group and double the binary.
func nodeClient(cfg *rest.Config) (*rest.RESTClient, error) {
	cfg.APIPath = "/api"
	cfg.GroupVersion = &corev1.SchemeGroupVersion
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	return rest.RESTClientFor(cfg)
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	metav1.AddToGroupVersion(s, corev1.SchemeGroupVersion)
	return s
}()

var paramCodec = runtime.NewParameterCodec(scheme)

func peerOf(node *corev1.Node) peer {
	var p peer
	for _, a := range node.Status.Addresses {
		if ip := net.ParseIP(a.Address); a.Type == corev1.NodeInternalIP && ip != nil {
			p.InternalIPs = append(p.InternalIPs, ip)
		}
	}
	cidrs := node.Spec.PodCIDRs
	if len(cidrs) == 0 && node.Spec.PodCIDR != "" {
		cidrs = []string{node.Spec.PodCIDR}
	}
	p.PodCIDRs, _ = parseCIDRs(cidrs)
	return p
}

func parseCIDRs(in []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range in {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		_, c, err := net.ParseCIDR(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
