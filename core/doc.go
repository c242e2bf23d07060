// Package core runs a Mikros service: it reads the service's definition
// (service.toml), builds the features the definition enables, starts the
// kinds the service runs as, and stops everything again, in one lifecycle
// that is the same for every service:
//
//		configure → build → start → run → shutdown
//
//	  - configure reads and validates the definition, and lets every enabled
//	    feature and every kind decode its own settings. Every problem found is
//	    reported at once; nothing has started yet (exit status 2).
//	  - build starts the enabled features in dependency order and hands the
//	    service the values they provide.
//	  - start binds the admin listener, starts the kinds in the order of
//	    types (a port in use fails here, not at the first request), and runs
//	    the service's OnStart hook. Then the service is ready.
//	  - run lets every kind run until one of them finishes, a signal
//	    arrives, or the caller's context ends.
//	  - shutdown turns readiness off, waits the drain delay, stops the kinds in
//	    reverse order, runs OnStop, and stops the features in reverse order,
//	    all within the stop budget, cut so that no part can take another's
//	    share (see [StopReserve]).
//
// Only what started is stopped, and a failure while starting stops what had
// already started; so does a stop requested while starting, which makes
// [Run] return an [InterruptedError]. Every hook runs under a context with a
// deadline; a hook that overruns is named in the log. The service turns
// ready once every kind that serves ([ServeNotifier]) does.
//
// Every value read from the environment is kept out of every message that
// leaves through core: log lines, problems, Run's error and /readyz say
// [Redacted] in its place.
//
// Kinds and features are plugged in with [WithKinds] and [WithFeatures]; the
// built-in ones and those written in other repositories use exactly the same
// interfaces ([Kind], [Feature] and the optional ones they may implement).
//
// core depends on the standard library and github.com/BurntSushi/toml only.
package core
