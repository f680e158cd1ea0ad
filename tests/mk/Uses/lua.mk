# Stand-in for Mk/Uses/lua.mk, written from the rules the real file
# documents in its header (freebsd-ports main): the arguments it takes and
# the variables a port reads.
#
#   XY		a Lua version, two digits: 54 is Lua 5.4 (repeatable)
#   XY+, -XY, XY-ZA	at least, at most, between
#   flavors noflavors module build run env core	options
#
# Versions are among 54 53 52 51. Without one, every version is allowed;
# the one used is LUA_DEFAULT (5.4, from DEFAULT_VERSIONS) when allowed,
# else the allowed one closest to it, the higher on a tie. env adds no
# dependency; build and run add BUILD_DEPENDS or RUN_DEPENDS; neither adds
# LIB_DEPENDS on liblua. Flavors are not modelled.
#
# The real file passes over an argument it does not know: there lua:5.4
# is no version at all, so LUA_DEFAULT is used, whatever the user set,
# with a LIB_DEPENDS on its liblua. Such an argument is always a mistake,
# so this stand-in refuses it with IGNORE, worded as the real file words
# a version it cannot use.
.if !defined(_INCLUDE_USES_LUA_MK)
_INCLUDE_USES_LUA_MK=	yes

LUA_DEFAULT?=		5.4
_LUA_VALID=		54 53 52 51
_LUA_DEFAULT_VER=	${LUA_DEFAULT:S/.//}
# The valid versions, closest to the default first (the higher on a tie).
_LUA_NEAREST_54=	54 53 52 51
_LUA_NEAREST_53=	53 54 52 51
_LUA_NEAREST_52=	52 53 51 54
_LUA_NEAREST_51=	51 52 53 54

_LUA_UNKNOWN:=	${lua_ARGS:N[1-9][0-9]:N[1-9][0-9]+:N-[1-9][0-9]:N[1-9][0-9]-[1-9][0-9]:Nflavors:Nnoflavors:Nmodule:Nbuild:Nrun:Nenv:Ncore}
.  if !empty(_LUA_UNKNOWN)
IGNORE=	USES=lua:${lua_ARGS:ts,}: ${_LUA_UNKNOWN} is not a version lua.mk knows: versions are two digits, XY (54 for Lua 5.4), XY+, -XY or XY-ZA
.  endif
.  if empty(_LUA_VALID:M${_LUA_DEFAULT_VER})
IGNORE=	Invalid lua version ${LUA_DEFAULT}
_LUA_DEFAULT_VER=	54
.  endif

_LUA_WANTED=
.  for _v in ${lua_ARGS:M[1-9][0-9]}
.    if !empty(_LUA_VALID:M${_v})
_LUA_WANTED+=	${_v}
.    endif
.  endfor
.  if !empty(lua_ARGS:M[1-9][0-9]) && empty(_LUA_WANTED)
IGNORE=	USES=lua:nn did not find any valid version number
.  endif

_LUA_MIN=	${lua_ARGS:M[1-9][0-9]+:S/+//}${lua_ARGS:M[1-9][0-9]-[1-9][0-9]:C/-.*//}
_LUA_MAX=	${lua_ARGS:M-[1-9][0-9]:S/-//}${lua_ARGS:M[1-9][0-9]-[1-9][0-9]:C/.*-//}
.  if !empty(_LUA_MIN) || !empty(_LUA_MAX)
.    for _v in ${_LUA_VALID}
.      if ${_v} >= ${empty(_LUA_MIN):?0:${_LUA_MIN}} && ${_v} <= ${empty(_LUA_MAX):?99:${_LUA_MAX}}
_LUA_WANTED+=	${_v}
.      endif
.    endfor
.    if empty(_LUA_WANTED)
IGNORE=	USES=lua:xx-yy did not find any valid version
.    endif
.  endif
.  if empty(_LUA_WANTED)
_LUA_WANTED=	${_LUA_VALID}
.  endif

_LUA_VERSION=
.  for _v in ${_LUA_NEAREST_${_LUA_DEFAULT_VER}}
.    if empty(_LUA_VERSION) && !empty(_LUA_WANTED:M${_v})
_LUA_VERSION:=	${_v}
.    endif
.  endfor

LUA_VER_STR=		${_LUA_VERSION}
LUA_VER=		${_LUA_VERSION:C/^(.)/\1./}
LUA_CMD=		lua${LUA_VER_STR}
LUA_INCDIR=		${LOCALBASE}/include/lua${LUA_VER_STR}
LUA_MODLIBDIR=		${PREFIX}/lib/lua/${LUA_VER}
LUA_MODSHAREDIR=	${PREFIX}/share/lua/${LUA_VER}
LUA_PKGNAMEPREFIX=	lua${LUA_VER_STR}-

.  if empty(lua_ARGS:Menv) && empty(lua_ARGS:Mcore)
.    if !empty(lua_ARGS:Mbuild)
BUILD_DEPENDS+=	${LUA_CMD}:lang/lua${LUA_VER_STR}
.    endif
.    if !empty(lua_ARGS:Mrun)
RUN_DEPENDS+=	${LUA_CMD}:lang/lua${LUA_VER_STR}
.    endif
.    if empty(lua_ARGS:Mbuild) && empty(lua_ARGS:Mrun)
LIB_DEPENDS+=	liblua-${LUA_VER}.so:lang/lua${LUA_VER_STR}
.    endif
.  endif
.endif
