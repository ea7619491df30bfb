package io.strongroom.sql.parse;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small SQL tokenizer for the statements Calcite does not parse (Redshift DDL, COPY, transactions,
 * SET/SHOW), and for splitting scripts and rewriting {@code $n} parameters. Handles quoted identifiers,
 * string literals ('' escapes, E'' strings), comments. Not thread-safe.
 */
public final class Tokens {
    public enum Kind {
        WORD,
        QUOTED_IDENT,
        STRING,
        NUMBER,
        SYMBOL,
        PARAM
    }

    /** A token with its position in the text. */
    public record Token(Kind kind, String text, int start, int end) {
        public String lower() {
            return kind == Kind.WORD ? text.toLowerCase(Locale.ROOT) : text;
        }

        public boolean is(String word) {
            return kind == Kind.WORD && text.equalsIgnoreCase(word);
        }

        public boolean isSymbol(String s) {
            return kind == Kind.SYMBOL && text.equals(s);
        }
    }

    private final List<Token> tokens;
    private final String sql;
    private int pos;

    public Tokens(String sql) {
        this.sql = sql;
        this.tokens = tokenize(sql);
    }

    public String sql() {
        return sql;
    }

    public static List<Token> tokenize(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                while (i < n && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (c == '\'' || ((c == 'E' || c == 'e') && i + 1 < n && s.charAt(i + 1) == '\'')) {
                int start = i;
                boolean escapes = c != '\'';
                i += escapes ? 2 : 1;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    if (i >= n) {
                        throw new StrongroomException(
                                ErrorCode.SYNTAX_ERROR,
                                "unterminated quoted string at or near \"" + s.substring(start, Math.min(n, start + 20))
                                        + "\"");
                    }
                    char d = s.charAt(i);
                    if (d == '\'' && i + 1 < n && s.charAt(i + 1) == '\'') {
                        sb.append('\'');
                        i += 2;
                    } else if (d == '\'') {
                        i++;
                        break;
                    } else if (escapes && d == '\\' && i + 1 < n) {
                        char e = s.charAt(i + 1);
                        sb.append(
                                switch (e) {
                                    case 'n' -> '\n';
                                    case 't' -> '\t';
                                    case 'r' -> '\r';
                                    default -> e;
                                });
                        i += 2;
                    } else {
                        sb.append(d);
                        i++;
                    }
                }
                out.add(new Token(Kind.STRING, sb.toString(), start, i));
            } else if (c == '"') {
                int start = i++;
                StringBuilder sb = new StringBuilder();
                while (true) {
                    if (i >= n) {
                        throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "unterminated quoted identifier");
                    }
                    char d = s.charAt(i);
                    if (d == '"' && i + 1 < n && s.charAt(i + 1) == '"') {
                        sb.append('"');
                        i += 2;
                    } else if (d == '"') {
                        i++;
                        break;
                    } else {
                        sb.append(d);
                        i++;
                    }
                }
                out.add(new Token(Kind.QUOTED_IDENT, sb.toString(), start, i));
            } else if (c == '$' && i + 1 < n && Character.isDigit(s.charAt(i + 1))) {
                int start = i++;
                while (i < n && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                out.add(new Token(Kind.PARAM, s.substring(start + 1, i), start, i));
            } else if (Character.isLetter(c) || c == '_') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
                    i++;
                }
                out.add(new Token(Kind.WORD, s.substring(start, i), start, i));
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(s.charAt(i + 1)))) {
                int start = i;
                while (i < n
                        && (Character.isDigit(s.charAt(i))
                                || s.charAt(i) == '.'
                                || s.charAt(i) == 'e'
                                || s.charAt(i) == 'E')) {
                    i++;
                }
                out.add(new Token(Kind.NUMBER, s.substring(start, i), start, i));
            } else {
                int len = (i + 1 < n
                                && "::<=>=<>!=||".contains(s.substring(i, i + 2))
                                && s.substring(i, i + 2).length() == 2
                                && isTwoCharSymbol(s.substring(i, i + 2)))
                        ? 2
                        : 1;
                out.add(new Token(Kind.SYMBOL, s.substring(i, i + len), i, i + len));
                i += len;
            }
        }
        return out;
    }

    private static boolean isTwoCharSymbol(String s) {
        return s.equals("::") || s.equals("<=") || s.equals(">=") || s.equals("<>") || s.equals("!=") || s.equals("||");
    }

    /** Splits a script at top-level semicolons; empty statements are dropped. */
    public static List<String> split(String sql) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (Token t : tokenize(sql)) {
            if (t.isSymbol(";")) {
                String part = sql.substring(from, t.start()).trim();
                if (!part.isEmpty()) {
                    out.add(part);
                }
                from = t.end();
            }
        }
        String last = sql.substring(from).trim();
        if (!last.isEmpty() && !tokenize(last).isEmpty()) {
            out.add(last);
        }
        return out;
    }

    public boolean atEnd() {
        return pos >= tokens.size();
    }

    public Token peek() {
        if (atEnd()) {
            throw syntax("unexpected end of statement");
        }
        return tokens.get(pos);
    }

    public boolean peekIs(String word) {
        return !atEnd() && tokens.get(pos).is(word);
    }

    public boolean peekSymbol(String s) {
        return !atEnd() && tokens.get(pos).isSymbol(s);
    }

    public Token next() {
        Token t = peek();
        pos++;
        return t;
    }

    public boolean accept(String word) {
        if (peekIs(word)) {
            pos++;
            return true;
        }
        return false;
    }

    public boolean acceptSymbol(String s) {
        if (peekSymbol(s)) {
            pos++;
            return true;
        }
        return false;
    }

    public void expect(String word) {
        if (!accept(word)) {
            throw syntax("expected " + word.toUpperCase(Locale.ROOT));
        }
    }

    public void expectSymbol(String s) {
        if (!acceptSymbol(s)) {
            throw syntax("expected \"" + s + "\"");
        }
    }

    /** An identifier: unquoted ones fold to lower case, as PostgreSQL does. */
    public String identifier() {
        Token t = next();
        if (t.kind() == Kind.WORD) {
            return t.text().toLowerCase(Locale.ROOT);
        }
        if (t.kind() == Kind.QUOTED_IDENT) {
            return t.text();
        }
        pos--;
        throw syntax("expected a name");
    }

    /** schema.name or name. */
    public String[] qualifiedName() {
        String a = identifier();
        if (acceptSymbol(".")) {
            return new String[] {a, identifier()};
        }
        return new String[] {"public", a};
    }

    public int integer() {
        Token t = next();
        if (t.kind() != Kind.NUMBER) {
            pos--;
            throw syntax("expected a number");
        }
        try {
            return Integer.parseInt(t.text());
        } catch (NumberFormatException e) {
            throw syntax("expected an integer");
        }
    }

    public String string() {
        Token t = next();
        if (t.kind() != Kind.STRING) {
            pos--;
            throw syntax("expected a quoted string");
        }
        return t.text();
    }

    /** The rest of the text from the current token on. */
    public String rest() {
        return atEnd() ? "" : sql.substring(tokens.get(pos).start());
    }

    public StrongroomException syntax(String what) {
        String near = atEnd() ? "end of input" : "\"" + tokens.get(pos).text() + "\"";
        return new StrongroomException(ErrorCode.SYNTAX_ERROR, "syntax error at or near " + near + ": " + what);
    }
}
