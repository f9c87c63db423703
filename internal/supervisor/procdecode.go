package supervisor

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
)

// decodeProcessInfos reads getAllProcessInfo's answer in one streaming pass.
// kolo/xmlrpc decodes it by reflection, which on a 200-process host costs
// about as long as supervisord takes to build the answer; status is the call
// everyone makes, so it gets this narrow fast path. Anything unexpected
// (a fault, another shape) returns an error and the caller falls back to
// kolo/xmlrpc, which stays the decoder of record for every other call.
func decodeProcessInfos(body []byte) ([]ProcessInfo, error) {
	if bytes.Contains(body, []byte("<fault>")) {
		return nil, errors.New("a fault, not a process list")
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var (
		procs   []ProcessInfo
		cur     = -1 // index of the struct being read
		name    string
		text    []byte
		capture bool
		depth   int // of <struct> nesting
	)
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if err.Error() == "EOF" && depth == 0 && procs != nil {
				return procs, nil
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "struct":
				if depth++; depth > 1 {
					return nil, errors.New("nested struct")
				}
				procs = append(procs, ProcessInfo{})
				cur = len(procs) - 1
			case "name", "value":
				text, capture = text[:0], true
			case "array", "data", "member", "string", "int", "i4", "boolean",
				"methodResponse", "params", "param":
			default:
				return nil, errors.New("unexpected <" + t.Name.Local + ">")
			}
			if procs == nil && t.Name.Local == "data" {
				procs = []ProcessInfo{}
			}
		case xml.CharData:
			if capture {
				text = append(text, t...)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "name":
				name, capture = string(text), false
			case "value":
				capture = false
				if cur >= 0 && name != "" {
					if err := setProcessField(&procs[cur], name, string(text)); err != nil {
						return nil, err
					}
					name = ""
				}
			case "struct":
				depth--
				cur = -1
			}
		}
	}
}

func setProcessField(p *ProcessInfo, key, v string) error {
	num := func() (int64, error) { return strconv.ParseInt(v, 10, 64) }
	var err error
	var n int64
	switch key {
	case "name":
		p.Name = v
	case "group":
		p.Group = v
	case "description":
		p.Description = v
	case "statename":
		p.StateName = v
	case "spawnerr":
		p.SpawnErr = v
	case "logfile":
		p.LogFile = v
	case "stdout_logfile":
		p.StdoutLogfile = v
	case "stderr_logfile":
		p.StderrLogfile = v
	case "start":
		p.Start, err = num()
	case "stop":
		p.Stop, err = num()
	case "now":
		p.Now, err = num()
	case "state":
		n, err = num()
		p.State = int(n)
	case "exitstatus":
		n, err = num()
		p.ExitStatus = int(n)
	case "pid":
		n, err = num()
		p.PID = int(n)
	}
	if err != nil {
		return errors.New("process field " + key + ": " + err.Error())
	}
	return nil
}
