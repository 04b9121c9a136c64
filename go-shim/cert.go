package main

// The per-launch AutoMTLS certificate, made as provider/tfplugin/tls.py makes it: EC P-256,
// self-signed, CN and SAN localhost, a CA (go-plugin trusts exactly this certificate as its
// root), in memory only. The cached-schema launch serves with one; a warm launch sends one,
// with its key, to the zygote's child in the launch request (zygote.go), so that the child
// needs no Python cryptography.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"time"
)

type certificate struct {
	tls tls.Certificate
	der []byte
}

func newCertificate() (*certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, err
	}
	serial.Add(serial, big.NewInt(1)) // positive, below 2^159 + 1, as x509.random_serial_number
	now := time.Now()
	name := pkix.Name{Organization: []string{"HashiCorp"}, CommonName: "localhost"}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             now.Add(-30 * time.Second),
		NotAfter:              now.Add(24 * time.Hour),
		DNSNames:              []string{"localhost"},
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &certificate{tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der: der}, nil
}

// handshakeText is the DER in unpadded standard base64: go-plugin decodes it with
// base64.RawStdEncoding, and padding would make the handshake fail at random.
func (c *certificate) handshakeText() string {
	return base64.RawStdEncoding.EncodeToString(c.der)
}

// keyPEM is the private key in PKCS#8 PEM, for a zygote's child that serves with this
// certificate (never written anywhere: it goes in the launch request).
func (c *certificate) keyPEM() (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.tls.PrivateKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

func (c *certificate) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}))
}
