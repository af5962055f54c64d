package plumesim

import (
	"time"
)

// The JSON bodies of Plume's API endpoints, written from a dataset: field names and shapes as
// Plume sends them (api.go serves them; reports.go writes the reports API's own).

// obj is a JSON object. Maps (not structs) let the sparse dataset choose per field between
// "missing" and "null", which is exactly what the client must survive.
type obj = map[string]any

// iso formats like Plume: ISO-8601 UTC with milliseconds and Z.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (d *dataset) location(now time.Time) obj {
	created := now.Add(-d.CreatedAgo).Truncate(time.Second)
	status := "online"
	if !d.Online {
		status = "offline"
	}
	o := obj{
		"id": d.LocationID, "name": d.LocationName, "customerId": d.CustomerID, "partnerId": d.PartnerID,
		"accountId": d.AccountID, "serviceId": d.ServiceID, "profile": "auto", "networkMode": "auto",
		"createdAt": iso(created), "updatedAt": iso(now.Add(-17 * time.Minute)), "_version": "1.0.0",
	}
	if d.Sparse {
		o["networkStatus"] = obj{"status": status}
		o["serviceLevel"] = obj{"status": d.ServiceLevel}
		o["accountId"] = nil
		delete(o, "serviceId")
		return o
	}
	o["networkStatus"] = obj{
		"status": status, "statusChangedAt": iso(now.Add(-d.StatusChangedAgo)),
		"durationOfPreviousStatus": d.PrevStatusSeconds, "updatedAt": iso(now.Add(-time.Minute)),
	}
	o["serviceLevel"] = d.serviceLevel(now)
	o["geoIp"] = obj{
		"ip": d.PublicIP, "city": d.City, "state": d.State, "country": d.Country, "timezone": d.Timezone,
		"latitude": 39.7817, "longitude": -89.6501, "ISP": false,
	}
	o["controlMode"] = obj{"mode": "full"}
	// The location object embeds the backhaul config with its key, as Plume's does: clients
	// must not keep it.
	o["backhaul"] = d.backhaul(now)
	return o
}

func (d *dataset) serviceLevel(now time.Time) obj {
	if d.Sparse {
		return obj{"status": d.ServiceLevel}
	}
	created := now.Add(-d.CreatedAgo).Truncate(time.Second)
	return obj{"status": d.ServiceLevel, "created": iso(created), "updatedAt": iso(created.Add(36 * time.Hour))}
}

func (d *dataset) backhaul(now time.Time) obj {
	created := now.Add(-d.CreatedAgo).Truncate(time.Second)
	o := obj{"mode": "auto", "wpaKey": wpaKeyFor(d.Name), "dynamicBeacon": "auto", "wds": "auto",
		"wpaMode": "auto", "wpaModeRealized": "psk2", "_version": "1.0.0"}
	if !d.Sparse {
		o["createdAt"] = iso(created)
		o["updatedAt"] = iso(created.Add(2 * time.Hour))
	}
	return o
}

func (d *dataset) hops(i int) []obj {
	var out []obj
	for p := d.Pods[i]; p.Parent >= 0; p = d.Pods[p.Parent] {
		parent := d.Pods[p.Parent]
		h := obj{"id": parent.Serial, "nickname": parent.Nickname}
		if p.ParentBand != "" {
			h["freqBand"] = p.ParentBand
		}
		out = append(out, h)
	}
	if out == nil {
		out = []obj{}
	}
	return out
}

func (d *dataset) node(i int, now time.Time) obj {
	p := d.Pods[i]
	state := "connected"
	if !p.Connected {
		state = "disconnected"
	}
	count := 0
	for _, dv := range d.Devices {
		if dv.Pod == i && dv.Connected {
			count++
		}
	}
	o := obj{
		"id": p.Serial, "serialNumber": p.Serial, "model": p.Model, "firmwareVersion": p.Firmware,
		"ip": p.IP, "mac": p.MAC, "connectionState": state, "backhaulType": p.Backhaul,
		"connectedDeviceCount": count, "2gChannel": p.Ch2, "5gChannel": p.Ch5, "residentialGateway": p.Gateway,
		"bootAt": iso(now.Add(-p.BootAgo)), "vendor": obj{"name": "Plume", "partNumber": p.Model},
	}
	if p.DefaultName != "" {
		o["defaultName"] = p.DefaultName
	}
	if p.Ch6 != "" {
		o["6gChannel"] = p.Ch6
	}
	if d.Sparse {
		o["nickname"] = nil
		o["leafToRoot"] = nil
		delete(o, "bootAt")
		return o
	}
	if p.Nickname != "" {
		o["nickname"] = p.Nickname
	}
	o["connectionStateChangeAt"] = iso(now.Add(-p.ChangedAgo))
	o["leafToRoot"] = d.hops(i)
	if p.Health != "" {
		o["health"] = obj{"status": p.Health, "score": p.Score, "details": nil}
	}
	alerts := []obj{}
	for _, a := range p.Alerts {
		alerts = append(alerts, obj{"type": a, "since": iso(now.Add(-47 * time.Minute))})
	}
	o["alerts"] = alerts
	if p.Gateway {
		o["networkMode"] = "router"
		o["wanIp"] = d.PublicIP
		o["publicIp"] = d.PublicIP
		o["linkStates"] = []obj{
			{"ifName": "eth0", "duplex": "full", "linkSpeed": 1000, "isUplink": true, "hasEthClient": false},
			{"ifName": "eth1", "duplex": "full", "linkSpeed": 1000, "isUplink": false, "hasEthClient": true},
		}
		o["speedTest"] = obj{
			"startedAt": iso(now.Add(-d.SpeedAgo).Truncate(time.Second)), "gateway": true, "status": "succeeded",
			"trigger": "scheduled", "serverIp": "198.51.100.20", "serverHost": "speedtest.example.net",
			"serverId": "24215", "serverName": "Example Metro", "isp": d.ISP,
			"download": d.SpeedDown, "upload": d.SpeedUp, "rtt": d.SpeedRTT,
		}
	}
	return o
}

func (d *dataset) nodes(now time.Time) obj {
	list := make([]obj, len(d.Pods))
	for i := range d.Pods {
		list[i] = d.node(i, now)
	}
	if d.Sparse {
		return obj{"nodes": obj{"nodes": list}}
	}
	return obj{"nodes": list}
}

func (d *dataset) device(i int, now time.Time) obj {
	v := d.Devices[i]
	state := "connected"
	if !v.Connected {
		state = "disconnected"
	}
	if v.Bare {
		return obj{"mac": v.MAC, "connectionState": state}
	}
	pod := d.Pods[v.Pod]
	hop := obj{"id": pod.Serial, "nickname": pod.Nickname}
	o := obj{
		"mac": v.MAC, "id": v.MAC, "name": v.Name, "icon": v.Icon, "ip": v.IP, "medium": v.Medium,
		"accessZone": v.Zone, "keyId": 0, "connectionState": state,
	}
	if v.Name == "" {
		o["name"] = v.MAC // Plume: "host name else mac"
	}
	if v.Medium == "wifi" {
		o["freqBand"] = v.Band
		o["channel"] = v.Channel
		hop["freqBand"] = v.Band
	}
	if d.Sparse {
		o["nickname"] = nil
		o["leafToRoot"] = nil
		delete(o, "icon")
		return o
	}
	if v.Nickname != "" {
		o["nickname"] = v.Nickname
	}
	o["connectionStateChangeAt"] = iso(now.Add(-v.ChangedAgo))
	o["leafToRoot"] = []obj{hop}
	if v.Health != "" {
		o["health"] = obj{"status": v.Health, "score": v.Score}
	}
	return o
}

func (d *dataset) devices(now time.Time) obj {
	list := make([]obj, len(d.Devices))
	for i := range d.Devices {
		list[i] = d.device(i, now)
	}
	if d.Sparse {
		return obj{"devices": obj{"devices": list}}
	}
	return obj{"devices": list}
}

func (d *dataset) wifiNetworks() []obj {
	out := make([]obj, 0, len(d.WiFi))
	for _, w := range d.WiFi {
		if d.Sparse {
			out = append(out, obj{"ssid": w.SSID, "enabled": nil})
			continue
		}
		o := obj{"ssid": w.SSID, "enabled": w.Enabled, "accessZone": w.Zone, "wpaMode": w.WPAMode,
			"encryption": w.Encryption, "ssidBroadcast": w.Broadcast}
		// The PSK is sent on purpose: the client must drop it.
		if w.PSK != "" {
			o["encryptionKey"] = w.PSK
		}
		out = append(out, o)
	}
	return out
}

func (d *dataset) appQoE(period string) obj {
	classes := make([]obj, 0, len(d.QoE))
	// Longer periods smooth the scores a little, deterministically.
	shift := map[string]float64{"lastHour": 0, "last24Hours": 0.1, "last7Days": 0.15, "last30Days": 0.2}[period]
	for _, q := range d.QoE {
		c := obj{"name": q.Name, "devices": q.Devices}
		if q.Score < 0 {
			c["qoeScore"] = nil
		} else {
			s := q.Score + shift*(4-q.Score)/4
			c["qoeScore"] = float64(int(s*10+0.5)) / 10
		}
		classes = append(classes, c)
	}
	return obj{"trafficClasses": classes}
}

// nodeLookup is the /partners/nodes/{serial} body.
func (d *dataset) nodeLookup(p *simPod) obj {
	return obj{"customerId": d.CustomerID, "locationId": d.LocationID, "serialNumber": p.Serial,
		"packId": "PK" + p.Serial[:6], "partnerId": d.PartnerID, "model": p.Model}
}
