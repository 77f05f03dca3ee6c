package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// ReadCABundle reads the PEM bundle a user named in field (caFiles[0], mirrors[1].caFile)
// and returns its certificates, re-encoded: only CERTIFICATE blocks that parse, so that
// a private key pasted into the file by mistake never travels further. A file with no
// certificate is an error naming the field.
func ReadCABundle(field, path string) ([]byte, error) {
	bad := func(format string, args ...any) error {
		return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	p, err := ExpandPath(path)
	if err != nil {
		return nil, bad("%v", err)
	}
	raw, err := ReadSmallFile(p)
	if err != nil {
		return nil, bad("%v", err)
	}
	var out []byte
	for rest := raw; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, bad("%s holds a certificate that does not parse: %v", p, err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})...)
	}
	if len(out) == 0 {
		return nil, bad("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", p)
	}
	return out, nil
}

// CABundle is every certificate authority m's mirror trusts beyond the public ones:
// the environment's caFiles, then the mirror's caFile. nil when there is none.
func (e *Environment) CABundle(m Mirror) ([]byte, error) {
	var out []byte
	for i, f := range e.CAFiles {
		b, err := ReadCABundle(fmt.Sprintf("caFiles[%d]", i), f)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	if m.CAFile != "" {
		b, err := ReadCABundle(fmt.Sprintf("mirrors[%s].caFile", m.Registry), m.CAFile)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}
