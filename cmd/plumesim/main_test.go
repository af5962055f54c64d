package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plumebot/internal/plumesim"
)

// TestRun starts the command, waits for its "Serving" line, then uses the files it wrote:
// the CA must verify the server and the info must get a token.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	ca, info := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "info.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"--addr", "127.0.0.1:0", "--ca-out", ca, "--info-out", info,
			"--token-ttl", "10m", "--fault", "nodes=503", "--fault", "devices=malformed,5ms"}, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	var out strings.Builder
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if !sent && strings.HasPrefix(sc.Text(), "Serving") {
				ready <- true
				sent = true
			}
		}
		if !sent {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("run ended before serving: %v", <-done)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no Serving line")
	}

	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("ca.pem does not parse")
	}
	raw, err := os.ReadFile(info)
	if err != nil {
		t.Fatal(err)
	}
	var in plumesim.Info
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.Locations) != len(plumesim.DatasetNames()) || in.Locations["healthy"].CustomerID == "" {
		t.Fatalf("info %s", raw)
	}
	for _, want := range []string{in.SSOURL, in.APIBase, in.AuthHeader, in.PartnerID, in.Locations["nasty"].LocationID, "curl --cacert " + ca} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"partnerId:" + in.PartnerID + " role:partnerIdAdmin"}}
	req, _ := http.NewRequest(http.MethodPost, in.SSOURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", in.AuthHeader)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" || tok.ExpiresIn != 600 {
		t.Fatalf("token: %v %+v", err, tok)
	}
	h := in.Locations["healthy"]
	for path, want := range map[string]int{"": 200, "/nodes": 503} {
		req, _ = http.NewRequest(http.MethodGet, in.APIBase+"/Customers/"+h.CustomerID+"/locations/"+h.LocationID+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%q: %d, want %d", path, resp.StatusCode, want)
		}
	}

	// The control endpoints it prints take a location down, as the API then shows.
	down := in.ControlURL + "/locations/" + h.LocationID + "/down"
	if !strings.Contains(out.String(), "curl --cacert "+ca+" -X POST "+down) {
		t.Errorf("output lacks the control example for %s", down)
	}
	resp, err = client.Post(down, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, in.APIBase+"/Customers/"+h.CustomerID+"/locations/"+h.LocationID, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var loc struct {
		NetworkStatus struct{ Status string } `json:"networkStatus"`
	}
	err = json.NewDecoder(resp.Body).Decode(&loc)
	resp.Body.Close()
	if err != nil || loc.NetworkStatus.Status != "offline" {
		t.Errorf("after %s: status %q (%v), want offline", down, loc.NetworkStatus.Status, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestFaultFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      []string
		want    map[string]plumesim.Fault
		wantErr bool
	}{
		{[]string{"nodes=503"}, map[string]plumesim.Fault{"nodes": {Status: 503}}, false},
		{[]string{"*=2s", "*=500"}, map[string]plumesim.Fault{"*": {Status: 500, Latency: 2 * time.Second}}, false},
		{[]string{"token=malformed"}, map[string]plumesim.Fault{"token": {Malformed: true}}, false},
		{[]string{"location=waf:100/1m"}, map[string]plumesim.Fault{"location": {WAFAfter: 100, WAFWindow: time.Minute}}, false},
		{[]string{"nodes"}, nil, true},
		{[]string{"nodes=slow"}, nil, true},
		{[]string{"nodes=999"}, nil, true},
		{[]string{"nodes=waf:x"}, nil, true},
	}
	for _, tc := range tests {
		f := faultFlags{}
		var err error
		for _, v := range tc.in {
			if err = f.Set(v); err != nil {
				break
			}
		}
		if (err != nil) != tc.wantErr {
			t.Fatalf("%v: err %v", tc.in, err)
		}
		if tc.wantErr {
			continue
		}
		if len(f) != len(tc.want) {
			t.Fatalf("%v: got %+v", tc.in, f)
		}
		for k, v := range tc.want {
			if f[k] != v {
				t.Fatalf("%v: %s = %+v, want %+v", tc.in, k, f[k], v)
			}
		}
	}
}
