// Command hello is the program in the e2e suite's images: it serves its own message on
// :8080 and answers readiness probes, so a Ready pod proves the image ran.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	msg := os.Getenv("MESSAGE")
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, msg) })
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
