package dockertest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tokenIssuer is the iss claim the hub's registry trusts.
const tokenIssuer = "token.hub.kdev.test"

// tokenServer issues registry tokens as Docker Hub's auth service does: GET
// ?service=&scope=repository:name:pull, optionally with basic auth, answered with a
// JWT signed by a key whose certificate rides in the x5c header, for the registry to
// check against its rootcertbundle.
type tokenServer struct {
	service string
	users   map[string]string
	key     *ecdsa.PrivateKey
	// chain is the signing certificate (DER); rootPEM its authority.
	chain   []byte
	rootPEM []byte

	issued, refused atomic.Int64
}

func newTokenServer(t *testing.T, service string, users map[string]string) *tokenServer {
	t.Helper()
	rootPEM, certPEM, keyPEM := issue(t, "signer."+tokenIssuer)
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return &tokenServer{service: service, users: users, key: key, chain: cb.Bytes, rootPEM: rootPEM}
}

// claims are the JWT claims distribution's token auth reads.
type claims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	Expires   int64    `json:"exp"`
	NotBefore int64    `json:"nbf"`
	IssuedAt  int64    `json:"iat"`
	ID        string   `json:"jti"`
	Access    []access `json:"access"`
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, login := r.BasicAuth()
	if login && (s.users == nil || s.users[user] != pass || pass == "") {
		s.refused.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"details":"incorrect username or password"}`))
		return
	}
	if r.FormValue("service") != s.service {
		http.Error(w, `{"details":"unknown service"}`, http.StatusBadRequest)
		return
	}
	now := time.Now()
	c := claims{Issuer: tokenIssuer, Subject: user, Audience: s.service, Expires: now.Add(5 * time.Minute).Unix(),
		NotBefore: now.Add(-time.Minute).Unix(), IssuedAt: now.Unix(), ID: Name("jti-"), Access: []access{}}
	// Anonymous pulls are granted only where no account is needed; pushes never (the
	// test seeds the hub another way).
	if login || s.users == nil {
		for _, scope := range r.Form["scope"] {
			for _, sc := range strings.Fields(scope) {
				typ, rest, _ := strings.Cut(sc, ":")
				i := strings.LastIndex(rest, ":")
				if typ == "repository" && i > 0 && strings.Contains(rest[i+1:], "pull") {
					c.Access = append(c.Access, access{Type: typ, Name: rest[:i], Actions: []string{"pull"}})
				}
			}
		}
	}
	tok, err := s.sign(c)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.issued.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300,
		"issued_at": now.UTC().Format(time.RFC3339)})
}

// sign makes a compact ES256 JWS of c, with the signing certificate as x5c.
func (s *tokenServer) sign(c claims) (string, error) {
	header, err := json.Marshal(map[string]any{"alg": "ES256", "typ": "JWT",
		"x5c": []string{base64.StdEncoding.EncodeToString(s.chain)}})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		return "", err
	}
	// JWS wants r and s as two fixed-size big-endian halves, not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return input + "." + enc.EncodeToString(sig), nil
}
