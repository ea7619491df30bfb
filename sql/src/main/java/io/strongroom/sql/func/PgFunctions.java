package io.strongroom.sql.func;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlFunctionCategory;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlOperatorTable;
import org.apache.calcite.sql.SqlSyntax;
import org.apache.calcite.sql.fun.SqlLibrary;
import org.apache.calcite.sql.fun.SqlLibraryOperatorTableFactory;
import org.apache.calcite.sql.fun.SqlLibraryOperators;
import org.apache.calcite.sql.type.OperandTypes;
import org.apache.calcite.sql.type.SqlOperandCountRanges;
import org.apache.calcite.sql.type.SqlOperandTypeChecker;
import org.apache.calcite.sql.type.SqlReturnTypeInference;
import org.apache.calcite.sql.type.SqlSingleOperandTypeChecker;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.util.SqlOperatorTables;

/**
 * The Redshift and PostgreSQL scalar functions beyond Calcite's standard operators: their signatures for the
 * validator ({@link #TABLE}); {@link FunctionRegistry} holds their implementations over the engine's in-memory values. Where
 * Calcite's PostgreSQL library has a function with the right signature it is used as it is (LEFT, LPAD,
 * SPLIT_PART, MD5, GREATEST...); functions it lacks or types differently from Redshift (GETDATE, DATEADD,
 * DATEDIFF, DATE_TRUNC, DATE_PART, TO_CHAR, TRUNC, BTRIM...) are defined here. NULL in, NULL out, unless the
 * function says otherwise (CONCAT and CONCAT_WS skip NULLs, as in PostgreSQL). Stateless; thread-safe.
 *
 * <p>Current time: CURRENT_DATE, CURRENT_TIMESTAMP, NOW() and SYSDATE give the start of the transaction,
 * GETDATE() the start of the statement (truncated to the second, as Redshift's), all in UTC (the only
 * session time zone).
 */
public final class PgFunctions {
    private PgFunctions() {}

    private static RelDataType nullable(RelDataTypeFactory f, RelDataType t) {
        return f.createTypeWithNullability(t, true);
    }

    private static SqlReturnTypeInference type(SqlTypeName name) {
        return b -> nullable(b.getTypeFactory(), b.getTypeFactory().createSqlType(name));
    }

    /** TIMESTAMP for a DATE, TIMESTAMP or string operand, TIMESTAMPTZ for a TIMESTAMPTZ one. */
    private static SqlReturnTypeInference timestampLike(int operand) {
        return b -> {
            RelDataTypeFactory f = b.getTypeFactory();
            boolean tz = b.getOperandType(operand).getSqlTypeName() == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE;
            return nullable(
                    f,
                    tz
                            ? f.createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, 6)
                            : f.createSqlType(SqlTypeName.TIMESTAMP, 6));
        };
    }

    private static final SqlReturnTypeInference VARCHAR =
            b -> nullable(b.getTypeFactory(), b.getTypeFactory().createSqlType(SqlTypeName.VARCHAR));

    private static SqlFunction fn(String name, SqlReturnTypeInference ret, SqlOperandTypeChecker operands) {
        return new SqlFunction(
                name, SqlKind.OTHER_FUNCTION, ret, null, operands, SqlFunctionCategory.USER_DEFINED_FUNCTION);
    }

    /** A function whose value is fixed for a statement (the current time): never folded at planning. */
    private static SqlFunction clock(String name, SqlReturnTypeInference ret, boolean noParentheses) {
        return new SqlFunction(
                name, SqlKind.OTHER_FUNCTION, ret, null, OperandTypes.NILADIC, SqlFunctionCategory.TIMEDATE) {
            @Override
            public boolean isDynamicFunction() {
                return true;
            }

            @Override
            public SqlSyntax getSyntax() {
                return noParentheses ? SqlSyntax.FUNCTION_ID : SqlSyntax.FUNCTION;
            }
        };
    }

    /** A date, a timestamp, or a string read as one (Redshift takes {@code '2024-01-01'} where a date goes). */
    private static final SqlSingleOperandTypeChecker DATETIME_OR_STRING =
            OperandTypes.DATETIME.or(OperandTypes.CHARACTER);

    private static final SqlSingleOperandTypeChecker STRING = OperandTypes.CHARACTER;

    /** DATEADD(part, n, datetime), after {@code RedshiftSyntax} turned the part into a string. */
    public static final SqlFunction DATEADD = fn(
            "DATEADD",
            timestampLike(2),
            OperandTypes.sequence("DATEADD(part, n, datetime)", STRING, OperandTypes.INTEGER, DATETIME_OR_STRING));

    public static final SqlFunction DATEDIFF = fn(
            "DATEDIFF",
            type(SqlTypeName.BIGINT),
            OperandTypes.sequence("DATEDIFF(part, start, end)", STRING, DATETIME_OR_STRING, DATETIME_OR_STRING));

    public static final SqlFunction DATE_PART = fn(
            "DATE_PART",
            type(SqlTypeName.DOUBLE),
            OperandTypes.sequence("DATE_PART(part, datetime)", STRING, DATETIME_OR_STRING));

    public static final SqlFunction DATE_TRUNC = fn(
            "DATE_TRUNC",
            timestampLike(1),
            OperandTypes.sequence("DATE_TRUNC(part, datetime)", STRING, DATETIME_OR_STRING));

    private static final SqlOperandTypeChecker TRIM_OPERANDS = OperandTypes.or(
            OperandTypes.family(SqlTypeFamily.CHARACTER),
            OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.CHARACTER));

    /** TRUNC(number [, digits]) keeps the number's type (fewer fractional digits); TRUNC(timestamp) is a DATE. */
    private static final SqlReturnTypeInference TRUNC_TYPE = b -> {
        RelDataTypeFactory f = b.getTypeFactory();
        RelDataType t = b.getOperandType(0);
        if (SqlTypeFamily.DATETIME.contains(t)) {
            return nullable(f, f.createSqlType(SqlTypeName.DATE));
        }
        if (t.getSqlTypeName() == SqlTypeName.DECIMAL) {
            int scale = 0;
            if (b.getOperandCount() > 1) {
                Integer digits = b.isOperandLiteral(1, false) ? b.getOperandLiteralValue(1, Integer.class) : null;
                scale = digits == null ? t.getScale() : Math.max(0, Math.min(t.getScale(), digits));
            }
            return nullable(f, f.createSqlType(SqlTypeName.DECIMAL, t.getPrecision(), scale));
        }
        return nullable(f, t);
    };

    private static final List<SqlOperator> OWN = List.of(
            clock("GETDATE", type(SqlTypeName.TIMESTAMP), false),
            clock("SYSDATE", type(SqlTypeName.TIMESTAMP), true),
            clock(
                    "NOW",
                    b -> nullable(
                            b.getTypeFactory(),
                            b.getTypeFactory().createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, 6)),
                    false),
            DATE_TRUNC,
            DATEADD,
            DATEDIFF,
            DATE_PART,
            fn(
                    "TO_CHAR",
                    VARCHAR,
                    OperandTypes.or(
                            OperandTypes.family(SqlTypeFamily.DATETIME, SqlTypeFamily.CHARACTER),
                            OperandTypes.family(SqlTypeFamily.NUMERIC, SqlTypeFamily.CHARACTER))),
            fn(
                    "TO_DATE",
                    type(SqlTypeName.DATE),
                    OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.CHARACTER)),
            fn(
                    "TO_TIMESTAMP",
                    b -> nullable(
                            b.getTypeFactory(),
                            b.getTypeFactory().createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE, 6)),
                    OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.CHARACTER)),
            fn(
                    "TRUNC",
                    TRUNC_TYPE,
                    OperandTypes.or(
                            OperandTypes.family(SqlTypeFamily.NUMERIC),
                            OperandTypes.family(SqlTypeFamily.NUMERIC, SqlTypeFamily.INTEGER),
                            OperandTypes.family(SqlTypeFamily.DATETIME))),
            fn("BTRIM", VARCHAR, TRIM_OPERANDS),
            fn("LTRIM", VARCHAR, TRIM_OPERANDS),
            fn("RTRIM", VARCHAR, TRIM_OPERANDS),
            fn("REVERSE", VARCHAR, OperandTypes.family(SqlTypeFamily.CHARACTER)),
            // PostgreSQL's, not Calcite's rewrite into ||: arguments are written by their output functions.
            fn("CONCAT", VARCHAR, OperandTypes.ONE_OR_MORE),
            fn("CONCAT_WS", VARCHAR, OperandTypes.variadic(SqlOperandCountRanges.from(2))),
            // PostgreSQL's catalog functions drivers call (SystemFunctions).
            fn("FORMAT_TYPE", VARCHAR, OperandTypes.family(SqlTypeFamily.NUMERIC, SqlTypeFamily.NUMERIC)),
            fn(
                    "PG_GET_EXPR",
                    VARCHAR,
                    OperandTypes.or(
                            OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.NUMERIC),
                            OperandTypes.family(
                                    SqlTypeFamily.CHARACTER, SqlTypeFamily.NUMERIC, SqlTypeFamily.BOOLEAN))),
            fn("PG_TYPE_IS_VISIBLE", type(SqlTypeName.BOOLEAN), OperandTypes.family(SqlTypeFamily.NUMERIC)),
            fn("ADD_MONTHS", timestampLike(0), OperandTypes.family(SqlTypeFamily.DATETIME, SqlTypeFamily.INTEGER)),
            fn("LAST_DAY", type(SqlTypeName.DATE), OperandTypes.family(SqlTypeFamily.DATETIME)),
            fn("DATE", type(SqlTypeName.DATE), DATETIME_OR_STRING),
            fn(
                    "MONTHS_BETWEEN",
                    type(SqlTypeName.DOUBLE),
                    OperandTypes.family(SqlTypeFamily.DATETIME, SqlTypeFamily.DATETIME)),
            fn(
                    "CONVERT_TIMEZONE",
                    type(SqlTypeName.TIMESTAMP),
                    OperandTypes.or(
                            OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.DATETIME),
                            OperandTypes.family(
                                    SqlTypeFamily.CHARACTER, SqlTypeFamily.CHARACTER, SqlTypeFamily.DATETIME))));

    private static final Set<String> OWN_NAMES =
            Set.copyOf(OWN.stream().map(SqlOperator::getName).toList());

    /** Redshift's functions taken from Calcite's libraries as they are. */
    private static final List<SqlOperator> REDSHIFT_LIBRARY = List.of(
            SqlLibraryOperators.NVL, SqlLibraryOperators.NVL2, SqlLibraryOperators.DECODE, SqlLibraryOperators.LEN);

    /** The functions declared here (not those of Calcite's PostgreSQL library): each has a body in FunctionRegistry. */
    static List<SqlOperator> declared() {
        return Stream.concat(OWN.stream(), REDSHIFT_LIBRARY.stream()).toList();
    }

    /**
     * The operators the validator knows besides the standard ones: ours, Redshift's NVL, NVL2, DECODE and LEN from
     * Calcite's libraries, and Calcite's PostgreSQL library minus the functions defined here.
     */
    public static final SqlOperatorTable TABLE = SqlOperatorTables.chain(
            SqlOperatorTables.of(OWN),
            SqlOperatorTables.of(REDSHIFT_LIBRARY),
            SqlOperatorTables.of(
                    SqlLibraryOperatorTableFactory.INSTANCE
                            .getOperatorTable(SqlLibrary.POSTGRESQL)
                            .getOperatorList()
                            .stream()
                            .filter(op -> !OWN_NAMES.contains(op.getName()))
                            .toList()));
}
