package io.strongroom.sql.parse;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.util.SqlBasicVisitor;
import org.jspecify.annotations.Nullable;

/**
 * Parses one statement for the planner (after {@link RedshiftSyntax#rewrite}) and refuses, before any planning, what
 * would cost without bound: a select list wider than PostgreSQL allows (54011), and nesting deeper than the parser
 * can recurse (54001, which the generated parser would otherwise report as a syntax error with no message).
 * Stateless.
 */
public final class StatementParser {
    private StatementParser() {}

    /** PostgreSQL's limit on a select list ("target lists can have at most 1664 entries"), SQLSTATE 54011. */
    static final int MAX_SELECT_LIST = 1664;

    public static SqlNode parse(String sql, SqlParser.Config config) {
        try {
            SqlNode node = SqlParser.create(RedshiftSyntax.rewrite(sql), config).parseStmt();
            // Checked before validation, whose cost grows faster than the list: 20,000 columns took 23 s there.
            node.accept(new SqlBasicVisitor<Void>() {
                @Override
                public Void visit(SqlCall call) {
                    if (call instanceof SqlSelect select
                            && select.getSelectList() != null
                            && select.getSelectList().size() > MAX_SELECT_LIST) {
                        throw new StrongroomException(
                                ErrorCode.TOO_MANY_COLUMNS,
                                "target lists can have at most " + MAX_SELECT_LIST + " entries; this one has "
                                        + select.getSelectList().size() + ". Select fewer columns.");
                    }
                    return super.visit(call);
                }
            });
            return node;
        } catch (SqlParseException e) {
            // The generated parser turns running out of stack into a parse error with no message.
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof StackOverflowError) {
                    throw tooComplex();
                }
            }
            throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "syntax error: " + firstLine(e.getMessage()), e);
        } catch (StackOverflowError e) {
            throw tooComplex();
        }
    }

    /** The first line of a parser or validator message (null reads as empty), for a one-line client error. */
    public static String firstLine(@Nullable String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    /** The error for a statement nested deeper than the parser, planner or executor can recurse. */
    public static StrongroomException tooComplex() {
        return new StrongroomException(
                ErrorCode.STATEMENT_TOO_COMPLEX,
                "statement too complex: its expressions or set operations nest too deeply; split it into simpler"
                        + " statements (for example a long chain of UNIONs into an INSERT ... SELECT per part)");
    }
}
