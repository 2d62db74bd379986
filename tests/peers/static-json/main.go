// Command static-json-server answers every GET with the same Foo, over HTTPS with HTTP/2 and
// verified client certificates: the most a server on Go's TLS stack can serve on this
// machine's loopback, the ceiling the serving benchmark measures the API servers against.
//
// It prints "serving on https://<address>" on stdout once it listens.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
)

// foo is a Foo as foo-apiserver returns it once the controller has reconciled it.
const foo = `{"apiVersion":"demo.jeremyxu2010.me/v1beta1","kind":"Foo","metadata":{"name":"static","uid":"7c1b9d2e-3f4a-4b5c-8d6e-9f0a1b2c3d4e","resourceVersion":"1","generation":1,"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"foo","bench":"true"}},"spec":{"greeting":"hello from the benchmark","suspend":false},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"Reconciled","message":"","observedGeneration":1,"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`

func main() {
	bindAddress := flag.String("bind-address", "127.0.0.1", "the address to listen on")
	securePort := flag.Int("secure-port", 0, "the port to serve HTTPS on (0 picks a free one)")
	certFile := flag.String("tls-cert-file", "", "the serving certificate (PEM)")
	keyFile := flag.String("tls-private-key-file", "", "the serving certificate's private key (PEM)")
	clientCAFile := flag.String("client-ca-file", "", "accept only client certificates signed by this CA (PEM)")
	flag.Parse()
	if *certFile == "" || *keyFile == "" || *clientCAFile == "" {
		fmt.Fprintln(os.Stderr, "--tls-cert-file, --tls-private-key-file and --client-ca-file are required")
		os.Exit(2)
	}

	clientCAs := x509.NewCertPool()
	pem, err := os.ReadFile(*clientCAFile)
	if err != nil {
		log.Fatal(err)
	}
	if !clientCAs.AppendCertsFromPEM(pem) {
		log.Fatalf("no certificate in %s", *clientCAFile)
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(*bindAddress, strconv.Itoa(*securePort)))
	if err != nil {
		log.Fatal(err)
	}
	server := &http.Server{
		Handler: http.HandlerFunc(serve),
		// ServeTLS adds h2 to the protocols offered: HTTP/2 as the API servers serve it.
		TLSConfig: &tls.Config{
			ClientAuth: tls.RequireAndVerifyClientCert,
			ClientCAs:  clientCAs,
			MinVersion: tls.VersionTLS12,
		},
	}
	fmt.Printf("serving on https://%s\n", listener.Addr())
	log.Fatal(server.ServeTLS(listener, *certFile, *keyFile))
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "only GET is served", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(foo)))
	_, _ = w.Write([]byte(foo))
}
