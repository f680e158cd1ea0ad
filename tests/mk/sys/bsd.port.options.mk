# Stand-in for bsd.port.options.mk: PORT_OPTIONS from OPTIONS_DEFINE and
# OPTIONS_DEFAULT, with WITH= and WITHOUT= (option names) as a user sets
# them on the command line.  The options helpers the example port uses
# (do-install-OPT-on) are run by framework.mk's stage sequence.
.if !defined(_PORT_OPTIONS_DONE)
_PORT_OPTIONS_DONE=	yes
PORT_OPTIONS:=	${OPTIONS_DEFAULT}
.  for opt in ${WITH}
PORT_OPTIONS+=	${opt}
.  endfor
.  for opt in ${WITHOUT}
PORT_OPTIONS:=	${PORT_OPTIONS:N${opt}}
.  endfor
PORT_OPTIONS:=	${PORT_OPTIONS:O:u}
.endif
