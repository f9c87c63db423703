package supervisor

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
)

// decodeProcessInfos reads getAllProcessInfo's answer with a byte scanner
// made for the one shape supervisord writes (Python's xmlrpc: an array of
// structs of scalar members). kolo/xmlrpc decodes it by reflection, and
// even encoding/xml's tokenizer costs a 200-process host about 10 ms;
// status is the call everyone makes, so it gets this narrow fast path.
// Anything unexpected (a fault, a nested value, another type) returns an
// error and the caller falls back to kolo/xmlrpc, which stays the decoder
// of record for every other call.
func decodeProcessInfos(body []byte) ([]ProcessInfo, error) {
	if bytes.Contains(body, []byte("<fault>")) {
		return nil, errors.New("a fault, not a process list")
	}
	start := bytes.Index(body, []byte("<array><data>"))
	end := bytes.LastIndex(body, []byte("</data></array>"))
	if start < 0 || end < start || !bytes.Contains(body[:start], []byte("<methodResponse>")) {
		return nil, errors.New("not an array")
	}
	rest := body[start+len("<array><data>") : end]
	procs := []ProcessInfo{}
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			return procs, nil
		}
		item, after, ok := cutBetween(rest, "<value><struct>", "</struct></value>")
		if !ok {
			return nil, errors.New("an array item that is not a struct")
		}
		rest = after
		var p ProcessInfo
		if err := scanMembers(item, &p); err != nil {
			return nil, err
		}
		procs = append(procs, p)
	}
}

// scanMembers reads a struct's <member>s into p.
func scanMembers(st []byte, p *ProcessInfo) error {
	for {
		st = bytes.TrimLeft(st, " \t\r\n")
		if len(st) == 0 {
			return nil
		}
		member, after, ok := cutBetween(st, "<member>", "</member>")
		if !ok {
			return errors.New("a struct item that is not a member")
		}
		st = after
		member = bytes.TrimLeft(member, " \t\r\n")
		name, after, ok := cutBetween(member, "<name>", "</name>")
		if !ok {
			return errors.New("a member without a name")
		}
		value, tail, ok := cutBetween(bytes.TrimLeft(after, " \t\r\n"), "<value>", "</value>")
		if !ok || len(bytes.TrimSpace(tail)) != 0 {
			return errors.New("a member without one value")
		}
		v, err := scalar(value)
		if err != nil {
			return err
		}
		key, err := xmlText(name)
		if err != nil {
			return err
		}
		if err := setProcessField(p, key, v); err != nil {
			return err
		}
	}
}

// scalar reads a value's content: <string>, <int>, <i4> or <boolean>, or
// bare text (XML-RPC's default type, string).
func scalar(v []byte) (string, error) {
	if len(v) == 0 || v[0] != '<' {
		return xmlText(v)
	}
	gt := bytes.IndexByte(v, '>')
	if gt < 0 {
		return "", errors.New("an unclosed tag")
	}
	tag := string(v[1:gt])
	switch tag {
	case "string", "int", "i4", "boolean":
	case "string/":
		return "", nil
	default:
		return "", errors.New("a value of type <" + tag + ">")
	}
	inner, ok := bytes.CutSuffix(v[gt+1:], []byte("</"+tag+">"))
	if !ok {
		return "", errors.New("an unclosed <" + tag + ">")
	}
	return xmlText(inner)
}

// xmlText is character data with its entities resolved. Markup inside it
// means the shape is not the expected one.
func xmlText(b []byte) (string, error) {
	if bytes.IndexByte(b, '<') >= 0 {
		return "", errors.New("markup inside a scalar")
	}
	s := string(b)
	if !strings.Contains(s, "&") {
		return s, nil
	}
	named := 0
	for _, e := range []string{"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"} {
		named += strings.Count(s, e)
	}
	if named == strings.Count(s, "&") {
		return entities.Replace(s), nil
	}
	var out string // numeric references, or something odd: XML's own rules
	err := xml.Unmarshal(append(append([]byte("<t>"), b...), "</t>"...), &out)
	return out, err
}

// entities are the five that Python's xmlrpc (and XML) name.
var entities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'")

// cutBetween returns what lies between open, which b must start with, and
// the first close after it, and what follows close.
func cutBetween(b []byte, open, close string) (inner, after []byte, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(open))
	if !ok {
		return nil, nil, false
	}
	i := bytes.Index(rest, []byte(close))
	if i < 0 {
		return nil, nil, false
	}
	return rest[:i], rest[i+len(close):], true
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
