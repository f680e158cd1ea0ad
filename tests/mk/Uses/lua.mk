# Stand-in for Mk/Uses/lua.mk: only the module directories.
.if !defined(_INCLUDE_USES_LUA_MK)
_INCLUDE_USES_LUA_MK=	yes
LUA_VER=		${lua_ARGS:M5.*:U5.4}
LUA_MODLIBDIR=		${PREFIX}/lib/lua/${LUA_VER}
LUA_MODSHAREDIR=	${PREFIX}/share/lua/${LUA_VER}
.endif
