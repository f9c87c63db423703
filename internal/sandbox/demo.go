package sandbox

// DemoPrograms returns the programs of `make demo`: a stand-in for a Laravel
// deployment's processes, including one that fails.
func DemoPrograms() []Program {
	no := false
	return []Program{
		{
			Name:    "web-assets",
			Command: `/bin/sh -c "while true; do sleep 3600; done"`,
		},
		{
			Name:     "queue",
			NumProcs: 3,
			Command: `/bin/sh -c "while true; do echo \"[$(date '+%%Y-%%m-%%d %%H:%%M:%%S')] Processing: App\\Jobs\\SendInvoice\"; ` +
				`sleep 2; echo \"[$(date '+%%Y-%%m-%%d %%H:%%M:%%S')] Processed:  App\\Jobs\\SendInvoice\"; sleep 3; done"`,
		},
		{
			Name:    "scheduler",
			Command: `/bin/sh -c "while true; do echo \"[$(date '+%%Y-%%m-%%d %%H:%%M:%%S')] Running scheduled command: php artisan schedule:run\"; sleep 60; done"`,
		},
		{
			Name:      "flaky",
			Autostart: &no,
			Command:   `/bin/sh -c "echo 'PHP Fatal error: Uncaught RuntimeException: connection refused' >&2; exit 1"`,
		},
	}
}

// DemoPools returns the PHP-FPM pools of `make demo`: the stock www pool
// and a shop pool with a status page.
func DemoPools() []Pool {
	return []Pool{
		{Name: "www", PM: "static", MaxChildren: 2, StatusPath: "/status"},
		{Name: "shop", PM: "dynamic", MaxChildren: 4, StatusPath: "/status", PingPath: "/ping"},
	}
}

// File is a program file written by hand or by a hosting panel, as is, into
// the program dir; {logdir} in Text stands for the sandbox's log dir.
type File struct {
	Name string
	Text string
}

// DemoFiles returns the hand-written files of `make demo`: two programs and
// the group that holds them in one file a panel named, with its comments
// and its own spacing, which poolvisor edits in place.
func DemoFiles() []File {
	return []File{{Name: "site-482913.conf", Text: `; Written by the hosting panel for shop.example.com - do not remove this line
[group:jobs]
programs=mailer,reports

[program:mailer]
command=/bin/sh -c "while true; do echo mail queue empty; sleep 30; done"   ; php artisan queue:work --queue=mail
autostart=true
autorestart=true
stdout_logfile={logdir}/mailer.log
redirect_stderr=true
stopasgroup=true
killasgroup=true

[program:reports]
command = /bin/sh -c "while true; do sleep 3600; done"
numprocs = 1
stdout_logfile = {logdir}/reports.log
redirect_stderr = true
stopasgroup = true
killasgroup = true
`}}
}
