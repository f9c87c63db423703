package supervisor

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kolo/xmlrpc"
)

// processListXML is supervisord's answer shape, as Python's xmlrpc writes it.
func processListXML(n int) []byte {
	var b strings.Builder
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n")
	for i := range n {
		fmt.Fprintf(&b, "<value><struct>\n<member>\n<name>name</name>\n<value><string>p%03d</string></value>\n</member>\n"+
			"<member>\n<name>group</name>\n<value><string>g &amp; %d</string></value>\n</member>\n"+
			"<member>\n<name>stdout_logfile</name>\n<value><string>/var/log/&lt;p&gt; &#233;t&#xE9;.log</string></value>\n</member>\n"+
			"<member>\n<name>pid</name>\n<value><int>%d</int></value>\n</member>\n"+
			"<member>\n<name>state</name>\n<value><i4>20</i4></value>\n</member>\n"+
			"<member>\n<name>statename</name>\n<value><string>RUNNING</string></value>\n</member>\n"+
			"<member>\n<name>description</name>\n<value>pid %d, uptime 0:01:00</value>\n</member>\n"+
			"<member>\n<name>spawnerr</name>\n<value><string></string></value>\n</member>\n"+
			"<member>\n<name>start</name>\n<value><int>1764158400</int></value>\n</member>\n"+
			"<member>\n<name>now</name>\n<value><int>1764158460</int></value>\n</member>\n"+
			"</struct></value>\n", i, i, 1000+i, 1000+i)
	}
	b.WriteString("</data></array></value>\n</param>\n</params>\n</methodResponse>\n")
	return []byte(b.String())
}

func TestDecodeProcessInfosMatchesKolo(t *testing.T) {
	for _, n := range []int{0, 1, 50} {
		body := processListXML(n)
		fast, err := decodeProcessInfos(body)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		var slow []ProcessInfo
		if err := xmlrpc.Response(body).Unmarshal(&slow); err != nil {
			t.Fatal(err)
		}
		if len(fast) != n || (n > 0 && !reflect.DeepEqual(fast, slow)) {
			t.Errorf("n=%d: fast %+v\nkolo %+v", n, fast, slow)
		}
	}
	for _, bad := range []string{
		"<methodResponse><fault><value><struct></struct></value></fault></methodResponse>",
		"<methodResponse><params><param><value><array><data><value><struct><member><name>pid</name><value><int>x</int></value></member></struct></value></data></array></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><double>1</double></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><array><data><value><struct>",
		"<methodResponse><params><param><value><array><data><value><struct><member><name>name</name><value><array><data></data></array></value></member></struct></value></data></array></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><array><data><value><struct><member><name>name</name><value><string>a<b/></string></value></member></struct></value></data></array></value></param></params></methodResponse>",
		"<methodResponse><params><param><value><array><data><value><int>1</int></value></data></array></value></param></params></methodResponse>",
	} {
		if _, err := decodeProcessInfos([]byte(bad)); err == nil {
			t.Errorf("decoded %q", bad)
		}
	}
}

// FuzzDecodeProcessInfos: whatever the fast path accepts, kolo/xmlrpc
// reads the same way (or the fast path would answer wrongly instead of
// falling back).
func FuzzDecodeProcessInfos(f *testing.F) {
	f.Add(processListXML(2))
	f.Add([]byte("<methodResponse><params><param><value><array><data></data></array></value></param></params></methodResponse>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, err := decodeProcessInfos(body)
		if err != nil {
			return
		}
		var slow []ProcessInfo
		if err := xmlrpc.Response(body).Unmarshal(&slow); err != nil {
			return // kolo is stricter about the envelope; the fast path is only ever given supervisord's
		}
		if len(fast) != len(slow) || (len(fast) > 0 && !reflect.DeepEqual(fast, slow)) {
			t.Errorf("fast %+v\nkolo %+v", fast, slow)
		}
	})
}

func BenchmarkDecodeProcessInfos(b *testing.B) {
	body := processListXML(200)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeProcessInfos(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kolo", func(b *testing.B) {
		for b.Loop() {
			var out []ProcessInfo
			if err := xmlrpc.Response(body).Unmarshal(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
