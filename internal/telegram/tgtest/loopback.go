package tgtest

import (
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// LoopbackClient is an HTTP client that can only reach 127.0.0.0/8 and ::1: a test whose
// adapter is pointed at the real Telegram by mistake fails at once with a clear error, and no
// packet leaves the machine (the check runs before the connection is attempted).
func LoopbackClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("tgtest: refusing to dial %s: tests may only reach loopback", address)
		}
		return nil
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 100}}
}
