package io.strongroom.sql.plan;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SqlType;
import io.strongroom.sql.catalog.CatalogViews;
import io.strongroom.sql.catalog.PgCatalogRewrite;
import io.strongroom.sql.catalog.SystemTables;
import io.strongroom.sql.func.PgFunctions;
import io.strongroom.sql.func.Types;
import io.strongroom.sql.parse.RedshiftSyntax;
import io.strongroom.sql.parse.StatementParser;
import io.strongroom.storage.Column;
import io.strongroom.storage.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.avatica.util.Quoting;
import org.apache.calcite.config.CalciteConnectionConfig;
import org.apache.calcite.config.CalciteConnectionConfigImpl;
import org.apache.calcite.config.CalciteConnectionProperty;
import org.apache.calcite.jdbc.CalciteSchema;
import org.apache.calcite.jdbc.JavaTypeFactoryImpl;
import org.apache.calcite.plan.Contexts;
import org.apache.calcite.plan.ConventionTraitDef;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.hep.HepMatchOrder;
import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgramBuilder;
import org.apache.calcite.plan.volcano.VolcanoPlanner;
import org.apache.calcite.prepare.CalciteCatalogReader;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelFieldCollation.NullDirection;
import org.apache.calcite.rel.RelHomogeneousShuttle;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.core.Window;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.rules.AggregateExpandDistinctAggregatesRule.Config;
import org.apache.calcite.rel.rules.CoreRules;
import org.apache.calcite.rel.rules.MultiJoin;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rel.type.RelDataTypeSystem;
import org.apache.calcite.rel.type.RelDataTypeSystemImpl;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.runtime.CalciteContextException;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.schema.Statistic;
import org.apache.calcite.schema.Statistics;
import org.apache.calcite.schema.Table;
import org.apache.calcite.schema.impl.AbstractSchema;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlFunctionCategory;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperatorTable;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.parser.babel.SqlBabelParserImpl;
import org.apache.calcite.sql.type.OperandTypes;
import org.apache.calcite.sql.type.ReturnTypes;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.util.SqlOperatorTables;
import org.apache.calcite.sql.validate.SqlConformanceEnum;
import org.apache.calcite.sql.validate.SqlNameMatchers;
import org.apache.calcite.sql.validate.SqlValidator;
import org.apache.calcite.sql.validate.SqlValidatorUtil;
import org.apache.calcite.sql2rel.RelDecorrelator;
import org.apache.calcite.sql2rel.SqlRexConvertletTable;
import org.apache.calcite.sql2rel.SqlToRelConverter;
import org.apache.calcite.sql2rel.StandardConvertletTable;
import org.apache.calcite.tools.RelBuilder;
import org.apache.calcite.util.ImmutableBitSet;
import org.apache.calcite.util.Pair;
import org.jspecify.annotations.Nullable;

/**
 * Calcite as the front end: parses a query (Babel parser, PostgreSQL-flavoured), validates it against the
 * tables the session sees, converts it to a logical plan, removes subqueries, decorrelates, and pushes
 * filters into joins so joins become equi-joins. The plan is then run by {@code exec.Executor}. Stateless apart
 * from the shared type system; thread-safe.
 */
public final class QueryPlanner {
    /** DECIMAL up to precision 38, as Redshift. */
    static final RelDataTypeSystem TYPE_SYSTEM = new RelDataTypeSystemImpl() {
        @Override
        public int getMaxScale(SqlTypeName typeName) {
            return typeName == SqlTypeName.DECIMAL ? 38 : super.getMaxScale(typeName);
        }

        /** TIMESTAMP without a precision keeps microseconds, as in PostgreSQL (Calcite's default is seconds). */
        @Override
        public int getDefaultPrecision(SqlTypeName typeName) {
            return typeName == SqlTypeName.TIMESTAMP || typeName == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE
                    ? 6
                    : super.getDefaultPrecision(typeName);
        }

        @Override
        public int getMaxPrecision(SqlTypeName typeName) {
            return switch (typeName) {
                case DECIMAL -> 38;
                case TIMESTAMP, TIMESTAMP_WITH_LOCAL_TIME_ZONE -> Math.max(6, super.getMaxPrecision(typeName));
                default -> super.getMaxPrecision(typeName);
            };
        }

        @Override
        public boolean shouldConvertRaggedUnionTypesToVarying() {
            return true;
        }

        /** As PostgreSQL and Redshift: SUM of an integer is BIGINT, SUM of a DECIMAL keeps its scale at 38 digits. */
        @Override
        public RelDataType deriveSumType(RelDataTypeFactory f, RelDataType arg) {
            RelDataType t = switch (arg.getSqlTypeName()) {
                case TINYINT, SMALLINT, INTEGER, BIGINT -> f.createSqlType(SqlTypeName.BIGINT);
                case DECIMAL -> f.createSqlType(SqlTypeName.DECIMAL, 38, Math.max(0, arg.getScale()));
                default -> super.deriveSumType(f, arg);
            };
            return f.createTypeWithNullability(t, arg.isNullable());
        }

        /**
         * AVG of a DECIMAL carries 16 fractional digits, as PostgreSQL prints it (Redshift would round to the
         * argument's scale, which loses the answer for AVG of a discount).
         */
        @Override
        public RelDataType deriveAvgAggType(RelDataTypeFactory f, RelDataType arg) {
            if (arg.getSqlTypeName() == SqlTypeName.DECIMAL) {
                return f.createTypeWithNullability(
                        f.createSqlType(SqlTypeName.DECIMAL, 38, Math.max(DIVIDE_SCALE, arg.getScale())),
                        arg.isNullable());
            }
            return super.deriveAvgAggType(f, arg);
        }

        /**
         * DECIMAL division keeps at least 16 fractional digits, as PostgreSQL's numeric division does, instead
         * of SQL Server's rule (Calcite's default) that leaves 6 when the operands are wide.
         */
        @Override
        public RelDataType deriveDecimalDivideType(RelDataTypeFactory f, RelDataType a, RelDataType b) {
            RelDataType t = super.deriveDecimalDivideType(f, a, b);
            if (t == null || t.getSqlTypeName() != SqlTypeName.DECIMAL) {
                return t;
            }
            int scale = Math.max(DIVIDE_SCALE, Math.max(Math.max(0, a.getScale()), Math.max(0, b.getScale())));
            return f.createTypeWithNullability(
                    f.createSqlType(SqlTypeName.DECIMAL, 38, Math.min(scale, 38)), t.isNullable());
        }
    };

    /** Fractional digits of DECIMAL division and AVG results. */
    static final int DIVIDE_SCALE = 16;

    private static final SqlParser.Config PARSER = SqlParser.config()
            .withParserFactory(SqlBabelParserImpl.FACTORY)
            .withConformance(SqlConformanceEnum.BABEL)
            .withQuoting(Quoting.DOUBLE_QUOTE)
            .withUnquotedCasing(Casing.TO_LOWER)
            .withQuotedCasing(Casing.UNCHANGED)
            .withCaseSensitive(false);

    /**
     * Session functions PostgreSQL clients call: version(), current_database(), current_schema(). Dynamic, so
     * they are never folded while planning (the folder knows no session) and a cached plan asks again.
     */
    private static SqlFunction niladic(String name) {
        return new SqlFunction(
                name,
                SqlKind.OTHER_FUNCTION,
                ReturnTypes.explicit(SqlTypeName.VARCHAR, 256),
                null,
                OperandTypes.NILADIC,
                SqlFunctionCategory.SYSTEM) {
            @Override
            public boolean isDynamicFunction() {
                return true;
            }
        };
    }

    private static final SqlOperatorTable OPERATORS = SqlOperatorTables.chain(
            SqlOperatorTables.of(niladic("VERSION"), niladic("CURRENT_DATABASE"), niladic("CURRENT_SCHEMA")),
            SqlStdOperatorTable.instance(),
            PgFunctions.TABLE);

    /** A planned query. */
    public record Plan(
            RelNode rel,
            List<ResultColumn> columns,
            List<SqlType> parameterTypes,
            List<RelDataType> parameterRelTypes) {}

    /** The tables a query may read, by schema. */
    public interface Catalog extends SystemTables.Source {
        long rowCount(TableSpec spec);

        /** An upper bound on the distinct values of a column (by position), for join ordering. */
        default long distinctBound(TableSpec spec, int column) {
            return rowCount(spec);
        }
    }

    private QueryPlanner() {}

    static SqlNode parse(String sql) {
        return StatementParser.parse(sql, PARSER);
    }

    public static Plan plan(String sql, Catalog catalog) {
        JavaTypeFactoryImpl typeFactory = new JavaTypeFactoryImpl(TYPE_SYSTEM);
        CalciteSchema root = CalciteSchema.createRootSchema(false, false);
        Map<String, Map<String, TableSpec>> bySchema = new HashMap<>();
        for (TableSpec t : catalog.tables()) {
            bySchema.computeIfAbsent(t.schema().toLowerCase(Locale.ROOT), k -> new HashMap<>())
                    .put(t.name().toLowerCase(Locale.ROOT), t);
        }
        bySchema.computeIfAbsent("public", k -> new HashMap<>());
        SchemaPlus plus = root.plus();
        bySchema.forEach((schema, tables) -> plus.add(schema, new StoreSchema(tables, catalog)));
        if (!bySchema.containsKey("pg_catalog")) {
            plus.add("pg_catalog", SystemTables.pgCatalog(catalog));
        }
        if (!bySchema.containsKey("information_schema")) {
            plus.add("information_schema", CatalogViews.informationSchema(catalog));
        }
        addTypeNames(plus);
        Properties props = new Properties();
        props.setProperty(CalciteConnectionProperty.CASE_SENSITIVE.camelName(), "false");
        CalciteConnectionConfig config = new CalciteConnectionConfigImpl(props);
        // Unqualified names resolve in public, then pg_catalog (the system views), as on Redshift.
        CalciteCatalogReader reader = new CalciteCatalogReader(
                root,
                SqlNameMatchers.withCaseSensitive(false),
                List.of(List.of("public"), List.of("pg_catalog"), List.of()),
                typeFactory,
                config) {};
        SqlValidator validator = SqlValidatorUtil.newValidator(
                OPERATORS,
                reader,
                typeFactory,
                SqlValidator.Config.DEFAULT
                        .withConformance(SqlConformanceEnum.LENIENT)
                        .withIdentifierExpansion(true)
                        .withTypeCoercionFactory(PgTypeCoercion::new));
        sql = PgCatalogRewrite.rewrite(sql, catalog);
        RedshiftSyntax.DistinctOn distinctOn = RedshiftSyntax.distinctOn(sql);
        SqlNode parsed = parse(distinctOn == null ? sql : distinctOn.sql());
        if (!parsed.isA(SqlKind.QUERY)) {
            throw new StrongroomException(
                    ErrorCode.NOT_IMPLEMENTED, "statement " + parsed.getKind() + " is not supported yet");
        }
        parsed = RedshiftSyntax.rewrite(parsed);
        List<@Nullable String> rewrittenNames = rewrittenNames(parsed);
        SqlNode validated;
        try {
            validated = validator.validate(parsed);
        } catch (CalciteContextException e) {
            throw ValidationErrors.of(e);
        } catch (RuntimeException e) {
            if (e instanceof StrongroomException se) {
                throw se;
            }
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "cannot analyse the query: " + StatementParser.firstLine(e.getMessage()),
                    e);
        }
        RelDataType paramRow = validator.getParameterRowType(validated);
        List<SqlType> paramTypes = new ArrayList<>();
        List<RelDataType> paramRelTypes = new ArrayList<>();
        for (RelDataTypeField f : paramRow.getFieldList()) {
            paramTypes.add(
                    f.getType().getSqlTypeName() == SqlTypeName.UNKNOWN ? SqlType.UNKNOWN : Types.toWire(f.getType()));
            paramRelTypes.add(f.getType());
        }
        VolcanoPlanner volcano = new VolcanoPlanner();
        volcano.addRelTraitDef(ConventionTraitDef.INSTANCE);
        volcano.setExecutor(ConstantFolder.INSTANCE);
        RelOptCluster cluster = RelOptCluster.create(volcano, new RexBuilder(typeFactory));
        SqlToRelConverter converter = new SqlToRelConverter(
                null,
                validator,
                reader,
                cluster,
                CONVERTLETS,
                SqlToRelConverter.config().withTrimUnusedFields(false).withExpand(false));
        RelRoot relRoot = converter.convertQuery(validated, false, true);
        if (distinctOn != null) {
            relRoot = distinctOn(relRoot, distinctOn);
        }
        RelNode rel = relRoot.project();
        rel = windows(rel);
        rel = optimize(rel);
        List<ResultColumn> columns = columns(validated, relRoot, rel.getRowType(), rewrittenNames);
        return new Plan(rel, columns, paramTypes, paramRelTypes);
    }

    /**
     * PostgreSQL's names for types that SQL spells otherwise ({@code ::text}, {@code ::int4}, {@code ::timestamptz}),
     * which the parser reads as user-defined type names and the validator looks up in the root schema.
     */
    private static void addTypeNames(SchemaPlus root) {
        Map<String, SqlTypeName> names = Map.ofEntries(
                Map.entry("text", SqlTypeName.VARCHAR),
                Map.entry("bpchar", SqlTypeName.CHAR),
                Map.entry("int2", SqlTypeName.SMALLINT),
                Map.entry("int4", SqlTypeName.INTEGER),
                Map.entry("int8", SqlTypeName.BIGINT),
                Map.entry("float4", SqlTypeName.REAL),
                Map.entry("float8", SqlTypeName.DOUBLE),
                Map.entry("bool", SqlTypeName.BOOLEAN),
                Map.entry("timestamptz", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
                Map.entry("timestamp without time zone", SqlTypeName.TIMESTAMP));
        names.forEach((name, type) -> root.add(name, f -> switch (type) {
            case TIMESTAMP, TIMESTAMP_WITH_LOCAL_TIME_ZONE -> f.createSqlType(type, 6);
            case CHAR -> f.createSqlType(type, 1);
            default -> f.createSqlType(type);
        }));
    }

    /**
     * An aggregate whose calls are all DISTINCT over the same arguments ({@code count(DISTINCT x)}) becomes an
     * aggregate over the groups of those arguments, which runs vectorised and in parallel; other DISTINCT calls
     * keep their per-group sets.
     */
    private static final RelOptRule DISTINCT_TO_GROUPS = Config.DEFAULT
            .withOperandSupplier(b -> b.operand(LogicalAggregate.class)
                    .predicate(QueryPlanner::distinctOverOneArgumentList)
                    .anyInputs())
            .as(Config.class)
            .toRule();

    private static boolean distinctOverOneArgumentList(Aggregate agg) {
        List<AggregateCall> calls = agg.getAggCallList();
        if (calls.isEmpty() || agg.getGroupSets().size() != 1) {
            return false;
        }
        for (AggregateCall c : calls) {
            if (!c.isDistinct()
                    || c.filterArg >= 0
                    || !c.getArgList().equals(calls.get(0).getArgList())
                    || !c.collation.getFieldCollations().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Calcite's conversions, except that a CAST to a string of a non-string value stays a CAST even over a literal
     * (Calcite would fold {@code 1e20::text} and {@code true::text} into its own spelling, not PostgreSQL's), so
     * the executor writes the text.
     */
    private static final SqlRexConvertletTable CONVERTLETS = call -> {
        if (call.getKind() == SqlKind.CAST) {
            return (cx, c) -> {
                // Casts made during conversion (AVG's expansion) were never validated: those go the standard way.
                RelDataType target = cx.getValidator().getValidatedNodeTypeIfKnown(c);
                SqlNode operand = c.operand(0);
                RelDataType source = cx.getValidator().getValidatedNodeTypeIfKnown(operand);
                if (target != null
                        && source != null
                        && SqlTypeName.CHAR_TYPES.contains(target.getSqlTypeName())
                        && !SqlTypeName.CHAR_TYPES.contains(source.getSqlTypeName())
                        && source.getSqlTypeName() != SqlTypeName.NULL) {
                    return cx.getRexBuilder().makeAbstractCast(target, cx.convertExpression(operand), false);
                }
                return Objects.requireNonNull(StandardConvertletTable.INSTANCE.get(c))
                        .convertCall(cx, c);
            };
        }
        return StandardConvertletTable.INSTANCE.get(call);
    };

    private static RelNode optimize(RelNode rel) {
        HepProgramBuilder subqueries = new HepProgramBuilder()
                .addRuleInstance(CoreRules.FILTER_SUB_QUERY_TO_CORRELATE)
                .addRuleInstance(CoreRules.PROJECT_SUB_QUERY_TO_CORRELATE)
                .addRuleInstance(CoreRules.JOIN_SUB_QUERY_TO_CORRELATE);
        HepPlanner hep = new HepPlanner(subqueries.build());
        hep.setRoot(rel);
        rel = hep.findBestExp();
        // WHERE conditions move below the correlates first, so the FROM list's joins get their conditions before
        // the correlates become semi and mark joins (filters do not pass those).
        HepPlanner push = new HepPlanner(new HepProgramBuilder()
                .addMatchOrder(HepMatchOrder.BOTTOM_UP)
                .addRuleInstance(CoreRules.FILTER_CORRELATE)
                .addRuleInstance(CoreRules.FILTER_PROJECT_TRANSPOSE)
                .addRuleInstance(CoreRules.FILTER_MERGE)
                .addRuleInstance(CoreRules.FILTER_INTO_JOIN)
                .addRuleInstance(CoreRules.JOIN_CONDITION_PUSH)
                .build());
        if (SubqueryJoins.hasCorrelate(rel)) {
            push.setRoot(rel);
            rel = SubqueryJoins.existsToJoins(push.findBestExp());
        }
        RelBuilder builder = RelBuilder.proto(Contexts.empty()).create(rel.getCluster(), null);
        // The decorrelator may turn a correlated LIMIT into ROW_NUMBER() OVER: windows() makes that a Window.
        rel = windows(RelDecorrelator.decorrelateQuery(rel, builder));
        rel = pullFactors(rel);
        HepProgramBuilder program = new HepProgramBuilder()
                .addMatchOrder(HepMatchOrder.BOTTOM_UP)
                .addRuleInstance(CoreRules.FILTER_REDUCE_EXPRESSIONS)
                .addRuleInstance(CoreRules.FILTER_INTO_JOIN)
                .addRuleInstance(CoreRules.JOIN_CONDITION_PUSH)
                .addRuleInstance(CoreRules.FILTER_PROJECT_TRANSPOSE)
                .addRuleInstance(CoreRules.FILTER_MERGE)
                .addRuleInstance(CoreRules.FILTER_INTO_JOIN)
                .addRuleInstance(CoreRules.JOIN_CONDITION_PUSH)
                .addRuleInstance(CoreRules.PROJECT_MERGE)
                .addRuleInstance(CoreRules.PROJECT_REMOVE)
                .addRuleInstance(CoreRules.FILTER_EXPAND_IS_NOT_DISTINCT_FROM)
                .addRuleInstance(DISTINCT_TO_GROUPS);
        hep = new HepPlanner(program.build());
        hep.setRoot(rel);
        rel = hep.findBestExp();
        rel = reorderJoins(rel);
        // SEARCH/Sarg expressions (IN lists, BETWEEN ranges) into plain comparisons the executor runs.
        rel = rel.accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                RelNode visited = super.visit(other);
                return visited.accept(new RexShuttle() {
                    @Override
                    public RexNode visitCall(RexCall call) {
                        RexBuilder rb = visited.getCluster().getRexBuilder();
                        if (call.getKind() == SqlKind.SEARCH) {
                            return RexUtil.expandSearch(rb, null, call).accept(this);
                        }
                        RexNode out = super.visitCall(call);
                        // A range expanded inside an AND (OR) is an AND (OR) itself: keep conditions flat.
                        return call.getKind() == SqlKind.AND || call.getKind() == SqlKind.OR
                                ? RexUtil.flatten(rb, out)
                                : out;
                    }
                });
            }
        });
        return rel;
    }

    /**
     * PostgreSQL's {@code SELECT DISTINCT ON (keys) ... ORDER BY ...}: of the rows equal on the keys, the first in
     * the ORDER BY's order. Planned as {@code ROW_NUMBER() OVER (PARTITION BY keys ORDER BY <the query's order>) =
     * 1} below the query's sort (which keeps its LIMIT), then the appended key columns are dropped from the output.
     */
    private static RelRoot distinctOn(RelRoot root, RedshiftSyntax.DistinctOn d) {
        List<Map.Entry<Integer, String>> fields = List.copyOf(root.fields);
        int visible = fields.size() - d.appended();
        RelNode top = root.rel;
        Sort sort = top instanceof Sort s ? s : null;
        RelNode input = sort != null ? sort.getInput() : top;
        RelBuilder b = RelBuilder.proto(Contexts.empty()).create(input.getCluster(), null);
        b.push(input);
        List<RexNode> keys = new ArrayList<>();
        for (RedshiftSyntax.Key k : d.keys()) {
            keys.add(b.field(
                    fields.get(k.appended() ? visible + k.index() : k.index()).getKey()));
        }
        List<RexNode> order = new ArrayList<>();
        if (sort != null) {
            for (RelFieldCollation c : sort.getCollation().getFieldCollations()) {
                RexNode e = b.field(c.getFieldIndex());
                boolean desc = c.getDirection().isDescending();
                boolean nullsFirst = c.nullDirection == NullDirection.FIRST
                        || (c.nullDirection == NullDirection.UNSPECIFIED && desc);
                e = desc ? b.desc(e) : e;
                order.add(nullsFirst ? b.nullsFirst(e) : b.nullsLast(e));
            }
        }
        int width = input.getRowType().getFieldCount();
        RexNode rowNumber = b.aggregateCall(SqlStdOperatorTable.ROW_NUMBER)
                .over()
                .partitionBy(keys)
                .orderBy(order)
                .toRex();
        b.projectPlus(rowNumber);
        b.filter(b.equals(b.field(width), b.literal(1)));
        b.project(b.fields(ImmutableBitSet.range(width)));
        RelNode firsts = b.build();
        RelNode newTop = sort != null
                ? sort.copy(sort.getTraitSet(), firsts, sort.getCollation(), sort.offset, sort.fetch)
                : firsts;
        return new RelRoot(
                newTop,
                root.validatedRowType,
                root.kind,
                Pair.zip(
                        fields.subList(0, visible).stream()
                                .map(Map.Entry::getKey)
                                .toList(),
                        fields.subList(0, visible).stream()
                                .map(Map.Entry::getValue)
                                .toList()),
                root.collation,
                root.hints);
    }

    /**
     * Projections with window functions ({@code RexOver}) split into a {@code LogicalWindow} that computes them and a
     * projection over it, the form the executor runs. Done right after conversion so the filter and join rules meet
     * an opaque window node instead of window expressions they might move, and again after decorrelation, which
     * may introduce them.
     */
    private static RelNode windows(RelNode rel) {
        if (!hasWindow(rel)) {
            return rel;
        }
        HepPlanner hep = new HepPlanner(new HepProgramBuilder()
                .addRuleInstance(CoreRules.PROJECT_TO_LOGICAL_PROJECT_AND_WINDOW)
                .build());
        hep.setRoot(rel);
        return hep.findBestExp();
    }

    private static boolean hasWindow(RelNode rel) {
        boolean[] found = {false};
        rel.accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                if (other instanceof Project p && RexOver.containsOver(p.getProjects(), null)) {
                    found[0] = true;
                }
                if (other instanceof Window) {
                    found[0] = true;
                }
                return super.visit(other);
            }
        });
        return found[0];
    }

    /**
     * Pulls conjuncts common to every branch of an OR out of it ({@code (a AND b) OR (a AND c)} becomes {@code a
     * AND (b OR c)}), so a join condition repeated in each branch, as in TPC-H Q19, becomes an equi-join.
     */
    private static RelNode pullFactors(RelNode rel) {
        return rel.accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                RelNode visited = super.visit(other);
                RexBuilder rb = visited.getCluster().getRexBuilder();
                if (visited instanceof LogicalFilter f) {
                    return f.copy(f.getTraitSet(), f.getInput(), RexUtil.pullFactors(rb, f.getCondition()));
                }
                if (visited instanceof LogicalJoin j) {
                    return j.copy(
                            j.getTraitSet(),
                            RexUtil.pullFactors(rb, j.getCondition()),
                            j.getLeft(),
                            j.getRight(),
                            j.getJoinType(),
                            j.isSemiJoinDone());
                }
                return visited;
            }
        });
    }

    /**
     * Orders joins so that a FROM list written in any order joins along its equi-join conditions instead of
     * forming cross products: inner multi-joins by {@link JoinOrder} (greedy, from the tables' row counts and
     * distinct-value bounds), multi-joins with outer joins by LoptOptimizeJoinRule; then pushes the remaining
     * filters into the new joins. The executor
     * picks each join's build side from the row estimates.
     */
    private static RelNode reorderJoins(RelNode rel) {
        HepProgramBuilder collect = new HepProgramBuilder()
                .addMatchOrder(HepMatchOrder.BOTTOM_UP)
                .addRuleInstance(CoreRules.JOIN_TO_MULTI_JOIN)
                .addRuleCollection(List.of(CoreRules.PROJECT_MULTI_JOIN_MERGE, CoreRules.FILTER_MULTI_JOIN_MERGE));
        HepPlanner first = new HepPlanner(collect.build());
        first.setRoot(rel);
        // Inner multi-joins of three or more inputs: ordered by estimated sizes from the tables' statistics.
        rel = first.findBestExp().accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                RelNode visited = super.visit(other);
                if (visited instanceof MultiJoin mj) {
                    RelNode ordered = JoinOrder.order(mj);
                    return ordered == null ? visited : ordered;
                }
                return visited;
            }
        });
        HepProgramBuilder multi = new HepProgramBuilder()
                .addMatchOrder(HepMatchOrder.BOTTOM_UP)
                // What JoinOrder left, multi-joins with outer joins: Lopt (the bushy optimizer would turn a FULL
                // join into an inner one).
                .addRuleInstance(CoreRules.MULTI_JOIN_OPTIMIZE)
                .addMatchOrder(HepMatchOrder.BOTTOM_UP)
                .addRuleInstance(CoreRules.FILTER_INTO_JOIN)
                .addRuleInstance(CoreRules.JOIN_CONDITION_PUSH)
                .addRuleInstance(CoreRules.FILTER_PROJECT_TRANSPOSE)
                .addRuleInstance(CoreRules.FILTER_MERGE)
                .addRuleInstance(CoreRules.FILTER_INTO_JOIN)
                .addRuleInstance(CoreRules.PROJECT_MERGE)
                .addRuleInstance(CoreRules.PROJECT_REMOVE);
        HepPlanner hep = new HepPlanner(multi.build());
        hep.setRoot(rel);
        return hep.findBestExp();
    }

    /** Result column names as PostgreSQL names them: aliases, column names, function names, ?column?. */
    private static List<ResultColumn> columns(
            SqlNode validated, RelRoot root, RelDataType rowType, List<@Nullable String> rewrittenNames) {
        List<@Nullable String> pgNames = new ArrayList<>();
        SqlNode q = validated instanceof SqlOrderBy ob ? ob.query : validated;
        if (q instanceof SqlSelect select) {
            for (SqlNode item : select.getSelectList()) {
                int i = pgNames.size();
                String name = pgName(item);
                if ("case".equals(name) && i < rewrittenNames.size() && rewrittenNames.get(i) != null) {
                    name = rewrittenNames.get(i);
                }
                pgNames.add(name);
            }
        }
        List<ResultColumn> out = new ArrayList<>();
        List<RelDataTypeField> fields = rowType.getFieldList();
        for (int i = 0; i < fields.size(); i++) {
            String name = root.fields.size() > i
                    ? root.fields.get(i).getValue()
                    : fields.get(i).getName();
            if (name.startsWith("EXPR$") && i < pgNames.size() && pgNames.get(i) != null) {
                name = Objects.requireNonNull(pgNames.get(i));
            } else if (name.startsWith("EXPR$")) {
                name = "?column?";
            }
            out.add(Types.column(name, fields.get(i).getType()));
        }
        return out;
    }

    /**
     * The names of select items the validator rewrites into CASE (NULLIF, COALESCE), by position, taken before it
     * does; empty when the select list has a {@code *} (positions would shift).
     */
    private static List<@Nullable String> rewrittenNames(SqlNode parsed) {
        SqlNode q = parsed instanceof SqlOrderBy ob ? ob.query : parsed;
        List<@Nullable String> out = new ArrayList<>();
        if (!(q instanceof SqlSelect select) || select.getSelectList() == null) {
            return out;
        }
        for (SqlNode item : select.getSelectList()) {
            if (item instanceof SqlIdentifier id && id.isStar()) {
                return List.of();
            }
            String name =
                    item instanceof SqlCall call ? call.getOperator().getName().toLowerCase(Locale.ROOT) : "";
            out.add(name.equals("nullif") || name.equals("coalesce") ? name : null);
        }
        return out;
    }

    private static @Nullable String pgName(SqlNode item) {
        if (item.getKind() == SqlKind.AS) {
            SqlNode alias = ((SqlCall) item).operand(1);
            String a = alias.toString();
            if (!a.startsWith("EXPR$")) {
                return null;
            }
            item = ((SqlCall) item).operand(0);
        }
        if (item instanceof SqlIdentifier id) {
            return id.names.get(id.names.size() - 1);
        }
        if (item.getKind() == SqlKind.CAST && item instanceof SqlBasicCall c) {
            return pgName(c.operand(0));
        }
        if (item instanceof SqlCall call) {
            if (call.getKind() == SqlKind.OVER) {
                return pgName(call.operand(0));
            }
            if (call.getOperator() instanceof SqlFunction
                    || call.getOperator().isAggregator()
                    || call.getKind() == SqlKind.COALESCE
                    || call.getKind() == SqlKind.EXTRACT) {
                return call.getOperator().getName().toLowerCase(Locale.ROOT);
            }
            if (call.getKind() == SqlKind.CASE) {
                return "case";
            }
        }
        return "?column?";
    }

    /** A schema of store tables. */
    private static final class StoreSchema extends AbstractSchema {
        private final Map<String, Table> tables = new HashMap<>();

        StoreSchema(Map<String, TableSpec> specs, Catalog catalog) {
            specs.forEach((name, spec) -> tables.put(name, new StoreTable(spec, catalog)));
        }

        @Override
        protected Map<String, Table> getTableMap() {
            return tables;
        }
    }

    /** A store table as Calcite sees it: its row type and row count. */
    static final class StoreTable extends AbstractTable {
        private final TableSpec spec;
        private final long rows;
        private final Catalog catalog;
        private final long[] distinct;

        StoreTable(TableSpec spec, Catalog catalog) {
            this.spec = spec;
            this.catalog = catalog;
            this.rows = catalog.rowCount(spec);
            this.distinct = new long[spec.columns().size()];
        }

        /** An upper bound on the distinct values of column {@code i}, read once per plan. */
        long distinctBound(int i) {
            if (distinct[i] == 0) {
                distinct[i] = Math.max(1, catalog.distinctBound(spec, i));
            }
            return distinct[i];
        }

        @Override
        public RelDataType getRowType(RelDataTypeFactory f) {
            RelDataTypeFactory.Builder b = f.builder();
            for (Column c : spec.columns()) {
                b.add(c.name().toLowerCase(Locale.ROOT), Types.toCalcite(c.type(), f));
            }
            return b.build();
        }

        @Override
        public Statistic getStatistic() {
            return Statistics.of(rows, List.of());
        }
    }

    /** Whether the plan scans a system view (whose rows are taken when the query is planned). */
    static boolean readsSystemTables(RelNode rel) {
        boolean[] found = {false};
        rel.accept(new RelHomogeneousShuttle() {
            @Override
            public RelNode visit(RelNode other) {
                if (other instanceof TableScan scan && scan.getTable().unwrap(SystemTables.SystemTable.class) != null) {
                    found[0] = true;
                }
                return super.visit(other);
            }
        });
        return found[0];
    }

    public static String explain(RelNode rel) {
        return RelOptUtil.toString(rel);
    }
}
