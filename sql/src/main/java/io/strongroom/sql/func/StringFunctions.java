package io.strongroom.sql.func;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.func.Expressions.Expr;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The string functions. Positions and lengths count code points, as PostgreSQL's do (OCTET_LENGTH counts UTF-8
 * bytes); {@code ||} is NULL when an operand is, CONCAT and CONCAT_WS skip NULLs and write each argument by its
 * type's output function.
 * Registered in {@link FunctionRegistry}; stateless, thread-safe.
 */
final class StringFunctions {
    private StringFunctions() {}

    static void register(FunctionRegistry.Builder fns) {
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        StringBuilder sb = new StringBuilder();
                        for (Expr a : args) {
                            Object v = a.eval(row);
                            if (v == null) {
                                return null;
                            }
                            sb.append(PgFormat.text(v, false));
                        }
                        return sb.toString();
                    };
                },
                "||");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object s = args.get(0).eval(row);
                        Object from = args.get(1).eval(row);
                        Object len = args.size() > 2 ? args.get(2).eval(row) : Long.MAX_VALUE;
                        if (s == null || from == null || len == null) {
                            return null;
                        }
                        String str = (String) s;
                        long start = ((Number) from).longValue();
                        long end = args.size() > 2 ? start + ((Number) len).longValue() : Long.MAX_VALUE;
                        int a = (int) Math.max(1, Math.min(str.length() + 1, start));
                        int b = (int) Math.max(a, Math.min(str.length() + 1, end));
                        return str.substring(a - 1, b - 1);
                    };
                },
                "SUBSTRING");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object s = args.get(0).eval(row);
                        return s == null ? null : ((String) s).toUpperCase(Locale.ROOT);
                    };
                },
                "UPPER");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object s = args.get(0).eval(row);
                        return s == null ? null : ((String) s).toLowerCase(Locale.ROOT);
                    };
                },
                "LOWER");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object s = args.get(0).eval(row);
                        return s == null ? null : (long) ((String) s).codePointCount(0, ((String) s).length());
                    };
                },
                "CHAR_LENGTH",
                "CHARACTER_LENGTH",
                "LENGTH");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        Object needle = args.get(0).eval(row);
                        Object hay = args.get(1).eval(row);
                        return needle == null || hay == null
                                ? null
                                : (long) (((String) hay).indexOf((String) needle) + 1);
                    };
                },
                "POSITION");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    String name = c.name();
                    return row -> {
                        Object s = a0.eval(row);
                        Object k = a1.eval(row);
                        if (s == null || k == null) {
                            return null;
                        }
                        int[] cps = ((String) s).codePoints().toArray();
                        long len = ((Number) k).longValue();
                        int keep = (int) Math.max(0, Math.min(cps.length, len >= 0 ? len : cps.length + len));
                        return name.equals("LEFT")
                                ? new String(cps, 0, keep)
                                : new String(cps, cps.length - keep, keep);
                    };
                },
                "LEFT",
                "RIGHT");
        fns.add(
                c -> {
                    int n = c.args().size();
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    String name = c.name();
                    return row -> {
                        Object s = a0.eval(row);
                        Object k = a1.eval(row);
                        Object fill = n > 2 ? a2.eval(row) : " ";
                        if (s == null || k == null || fill == null) {
                            return null;
                        }
                        return pad((String) s, ((Number) k).longValue(), (String) fill, name.equals("LPAD"));
                    };
                },
                "LPAD",
                "RPAD");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    return row -> {
                        Object s = a0.eval(row);
                        Object from = a1.eval(row);
                        Object to = a2.eval(row);
                        if (s == null || from == null || to == null) {
                            return null;
                        }
                        return ((String) from).isEmpty() ? s : ((String) s).replace((String) from, (String) to);
                    };
                },
                "REPLACE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    return row -> {
                        Object s = a0.eval(row);
                        Object d = a1.eval(row);
                        Object k = a2.eval(row);
                        if (s == null || d == null || k == null) {
                            return null;
                        }
                        return splitPart((String) s, (String) d, ((Number) k).longValue());
                    };
                },
                "SPLIT_PART");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object s = a0.eval(row);
                        Object sub = a1.eval(row);
                        if (s == null || sub == null) {
                            return null;
                        }
                        String str = (String) s;
                        int i = str.indexOf((String) sub);
                        return i < 0 ? 0L : (long) str.codePointCount(0, i) + 1;
                    };
                },
                "STRPOS");
        fns.add(
                c -> {
                    int n = c.args().size();
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    String name = c.name();
                    return row -> {
                        Object s = a0.eval(row);
                        Object chars = n > 1 ? a1.eval(row) : " ";
                        if (s == null || chars == null) {
                            return null;
                        }
                        return trim((String) s, (String) chars, !name.equals("RTRIM"), !name.equals("LTRIM"));
                    };
                },
                "BTRIM",
                "LTRIM",
                "RTRIM");
        fns.add(
                c -> {
                    List<Expr> args = c.args();
                    return row -> {
                        StringBuilder sb = new StringBuilder();
                        for (Expressions.Expr a : args) {
                            Object v = a.eval(row);
                            if (v != null) {
                                sb.append(outputText(v));
                            }
                        }
                        return sb.toString();
                    };
                },
                "CONCAT");
        fns.add(
                c -> {
                    int n = c.args().size();
                    Expr a0 = c.arg(0);
                    List<Expr> args = c.args();
                    return row -> {
                        Object sep = a0.eval(row);
                        if (sep == null) {
                            return null;
                        }
                        StringBuilder sb = new StringBuilder();
                        boolean first = true;
                        for (Expressions.Expr a : args.subList(1, n)) {
                            Object v = a.eval(row);
                            if (v != null) {
                                if (!first) {
                                    sb.append((String) sep);
                                }
                                sb.append(outputText(v));
                                first = false;
                            }
                        }
                        return sb.toString();
                    };
                },
                "CONCAT_WS");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    return row -> {
                        Object s = a0.eval(row);
                        Object k = a1.eval(row);
                        if (s == null || k == null) {
                            return null;
                        }
                        long times = Math.max(0, ((Number) k).longValue());
                        if (times * ((String) s).length() > 64L * 1024 * 1024) {
                            throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "requested length too large");
                        }
                        return ((String) s).repeat((int) times);
                    };
                },
                "REPEAT");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    Expr a1 = c.arg(1);
                    Expr a2 = c.arg(2);
                    return row -> {
                        Object s = a0.eval(row);
                        Object from = a1.eval(row);
                        Object to = a2.eval(row);
                        if (s == null || from == null || to == null) {
                            return null;
                        }
                        return translate((String) s, (String) from, (String) to);
                    };
                },
                "TRANSLATE3");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object s = a0.eval(row);
                        return s == null
                                ? null
                                : new StringBuilder((String) s).reverse().toString();
                    };
                },
                "REVERSE");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object s = a0.eval(row);
                        return s == null ? null : initcap((String) s);
                    };
                },
                "INITCAP");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object s = a0.eval(row);
                        return s == null ? null : ((String) s).isEmpty() ? 0L : (long) ((String) s).codePointAt(0);
                    };
                },
                "ASCII");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object k = a0.eval(row);
                        if (k == null) {
                            return null;
                        }
                        long cp = ((Number) k).longValue();
                        if (cp <= 0 || cp > Character.MAX_CODE_POINT) {
                            throw new StrongroomException(
                                    ErrorCode.VALUE_OUT_OF_RANGE,
                                    "requested character " + cp + " is not a valid code point");
                        }
                        return Character.toString((int) cp);
                    };
                },
                "CHR");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    return row -> {
                        Object s = a0.eval(row);
                        if (s == null) {
                            return null;
                        }
                        try {
                            MessageDigest md = MessageDigest.getInstance("MD5");
                            return HexFormat.of().formatHex(md.digest(((String) s).getBytes(StandardCharsets.UTF_8)));
                        } catch (NoSuchAlgorithmException e) {
                            throw new StrongroomException(ErrorCode.INTERNAL, "MD5 is not available", e);
                        }
                    };
                },
                "MD5");
        fns.add(
                c -> {
                    Expr a0 = c.arg(0);
                    String name = c.name();
                    return row -> {
                        Object s = a0.eval(row);
                        if (s == null) {
                            return null;
                        }
                        String str = (String) s;
                        return name.equals("LEN")
                                ? (long) str.codePointCount(0, str.length())
                                : (long) str.getBytes(StandardCharsets.UTF_8).length;
                    };
                },
                "LEN",
                "OCTET_LENGTH");
    }

    private static String pad(String s, long length, String fill, boolean left) {
        int[] cps = s.codePoints().toArray();
        if (length <= 0) {
            return "";
        }
        if (length > 64L * 1024 * 1024) {
            throw new StrongroomException(ErrorCode.VALUE_OUT_OF_RANGE, "requested length too large");
        }
        int len = (int) length;
        if (cps.length >= len) {
            return new String(cps, 0, len);
        }
        int[] f = fill.codePoints().toArray();
        if (f.length == 0) {
            return s;
        }
        StringBuilder padding = new StringBuilder();
        for (int i = 0; i < len - cps.length; i++) {
            padding.appendCodePoint(f[i % f.length]);
        }
        return left ? padding + s : s + padding;
    }

    private static String splitPart(String s, String delimiter, long field) {
        if (field == 0) {
            throw FunctionRegistry.invalid("field position must not be zero");
        }
        if (delimiter.isEmpty()) {
            return field == 1 || field == -1 ? s : "";
        }
        List<String> parts = new ArrayList<>();
        int from = 0;
        while (true) {
            int i = s.indexOf(delimiter, from);
            if (i < 0) {
                parts.add(s.substring(from));
                break;
            }
            parts.add(s.substring(from, i));
            from = i + delimiter.length();
        }
        long index = field > 0 ? field - 1 : parts.size() + field;
        return index >= 0 && index < parts.size() ? parts.get((int) index) : "";
    }

    private static String trim(String s, String chars, boolean leading, boolean trailing) {
        int a = 0;
        int b = s.length();
        while (leading && a < b && chars.indexOf(s.charAt(a)) >= 0) {
            a++;
        }
        while (trailing && b > a && chars.indexOf(s.charAt(b - 1)) >= 0) {
            b--;
        }
        return s.substring(a, b);
    }

    /** A value as its type's output function writes it, as CONCAT takes its arguments (a boolean is t or f). */
    private static String outputText(Object v) {
        return v instanceof Boolean b ? (b ? "t" : "f") : PgFormat.text(v, false);
    }

    /** PostgreSQL's translate: each character of {@code from} becomes the one at its place in {@code to}, or goes. */
    private static String translate(String s, String from, String to) {
        int[] f = from.codePoints().toArray();
        int[] t = to.codePoints().toArray();
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            int i = 0;
            while (i < f.length && f[i] != cp) {
                i++;
            }
            if (i == f.length) {
                sb.appendCodePoint(cp);
            } else if (i < t.length) {
                sb.appendCodePoint(t[i]);
            }
        });
        return sb.toString();
    }

    private static String initcap(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            sb.appendCodePoint(wordStart ? Character.toUpperCase(cp) : Character.toLowerCase(cp));
            wordStart = !Character.isLetterOrDigit(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }
}
