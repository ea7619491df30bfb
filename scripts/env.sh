# Sourced by ./strongroom, ./test and bench/run: finds a JDK 25 and Maven, or says what is missing.

find_jdk25() {
  local candidate v
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    v=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$JAVA_HOME"; return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    v=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

require_toolchain() {
  if ! JAVA_HOME=$(find_jdk25); then
    echo "strongroom: no JDK 25 found. Set JAVA_HOME to a JDK 25 or newer, or install one under /usr/lib/jvm" >&2
    echo "  (for example Temurin 25: https://adoptium.net, or 'apt-get install temurin-25-jdk' from the Adoptium repository)." >&2
    exit 1
  fi
  export JAVA_HOME
  export PATH="$JAVA_HOME/bin:$PATH"
  if ! command -v mvn >/dev/null 2>&1; then
    echo "strongroom: Maven is missing. Install it with: apt-get install -y maven" >&2
    exit 1
  fi
}
