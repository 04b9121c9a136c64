package main

import (
	"crypto/sha256"
	"encoding/hex"
	"syscall"
)

func sha16(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

func syscallUmask(m int) int { return syscall.Umask(m) }
