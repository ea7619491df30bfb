package io.strongroom.sql.plan;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.runtime.CalciteContextException;

/** Calcite's validation failures as PostgreSQL reports them. Stateless. */
final class ValidationErrors {
    private ValidationErrors() {}

    private static final Pattern UNKNOWN_COLUMN =
            Pattern.compile("Column '(.+)' not found in (?:any table|table '(.+)')");
    private static final Pattern UNKNOWN_FUNCTION =
            Pattern.compile("No match found for function signature (\\w+)\\((.*)\\)");
    private static final Pattern WRONG_ARGUMENT_COUNT =
            Pattern.compile("Invalid number of arguments to function '(\\w+)'\\. Was expecting (.+) arguments?");
    private static final Pattern UNKNOWN_TABLE =
            Pattern.compile("(?:Object|Table) '(.+?)' not found(?: within '(.+)')?");

    /**
     * Calcite's validation failure with PostgreSQL's SQLSTATE and wording where one fits: an unknown column is
     * 42703 ({@code column "x" does not exist}), an unknown table 42P01 ({@code relation "x" does not exist}), an
     * unknown function or signature 42883 ({@code function f(integer) does not exist}).
     */
    static StrongroomException of(CalciteContextException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        String inner = e.getCause() != null && e.getCause().getMessage() != null
                ? e.getCause().getMessage()
                : m;
        Matcher column = UNKNOWN_COLUMN.matcher(inner);
        if (column.matches()) {
            String table = column.group(2);
            return new StrongroomException(
                    ErrorCode.UNDEFINED_COLUMN,
                    table == null
                            ? "column \"" + column.group(1) + "\" does not exist"
                            : "column " + table + "." + column.group(1) + " does not exist",
                    e);
        }
        Matcher function = UNKNOWN_FUNCTION.matcher(inner);
        if (function.matches()) {
            String args = function.group(2).replaceAll("[<>]", "").replace(",", ", ");
            return new StrongroomException(
                    ErrorCode.UNDEFINED_FUNCTION,
                    "function " + function.group(1).toLowerCase(Locale.ROOT) + "("
                            + args.toLowerCase(Locale.ROOT).replace(",  ", ", ")
                            + ") does not exist; no function matches the name and argument types (add explicit"
                            + " casts, or see docs/sql.md for the functions supported)",
                    e);
        }
        Matcher arity = WRONG_ARGUMENT_COUNT.matcher(inner);
        if (arity.matches()) {
            return new StrongroomException(
                    ErrorCode.UNDEFINED_FUNCTION,
                    "function " + arity.group(1).toLowerCase(Locale.ROOT)
                            + " does not exist with these arguments: it takes " + arity.group(2),
                    e);
        }
        Matcher table = UNKNOWN_TABLE.matcher(inner);
        if (table.matches()) {
            String name = table.group(2) == null ? table.group(1) : table.group(2) + "." + table.group(1);
            return new StrongroomException(ErrorCode.NOT_FOUND, "relation \"" + name + "\" does not exist", e);
        }
        ErrorCode code = inner.contains("not found") ? ErrorCode.NOT_FOUND : ErrorCode.INVALID_ARGUMENT;
        return new StrongroomException(code, inner, e);
    }
}
