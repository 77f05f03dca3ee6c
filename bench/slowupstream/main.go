// Command slowupstream is a registry stand-in whose /v2/ answers (401, as Docker Hub's
// does) only after a delay: the slow upstream of bench/status.sh.
package main

import (
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "where to listen")
	delay := flag.Duration("delay", 5*time.Second, "how long each answer takes")
	flag.Parse()
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(*delay):
			w.WriteHeader(http.StatusUnauthorized)
		case <-r.Context().Done():
		}
	})))
}
