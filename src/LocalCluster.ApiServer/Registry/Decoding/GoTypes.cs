using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Vers.LocalCluster.ApiServer.Registry.Decoding;

/// <summary>What a JSON value decodes into: the shape of a Go type of k8s.io/api, named as Go's reflect prints it.</summary>
internal abstract class GoType
{
    /// <summary>The type as <c>reflect.Type.String()</c> spells it in a json.UnmarshalTypeError (<c>[]v1.Subject</c>).</summary>
    public abstract string Name { get; }
}

/// <summary>A struct: its fields by JSON name.</summary>
internal sealed class GoStruct(string package, string structName) : GoType
{
    /// <summary>The struct's own name (<c>ServicePort</c>): a type error names the innermost struct around the field.</summary>
    public string StructName { get; } = structName;

    public override string Name => $"{package}.{StructName}";

    public Dictionary<string, GoType> Fields { get; } = new(StringComparer.Ordinal);
}

internal sealed class GoMap(GoType value) : GoType
{
    public GoType Value { get; } = value;

    public override string Name => $"map[string]{Value.Name}";
}

internal sealed class GoSlice(GoType item) : GoType
{
    public GoType Item { get; } = item;

    public override string Name => $"[]{Item.Name}";
}

internal enum GoScalarKind
{
    String,
    Bool,
    Int32,
    Int64,
    Float64,

    /// <summary><c>[]byte</c>: a base64 string.</summary>
    Bytes,

    /// <summary>metav1.Time (RFC 3339) or metav1.MicroTime (RFC 3339 with exactly six fractional digits).</summary>
    Time,
    MicroTime,

    /// <summary>intstr.IntOrString: a string or an int32.</summary>
    IntOrString,

    /// <summary>resource.Quantity: a string or a number.</summary>
    Quantity,

    /// <summary>runtime.RawExtension, FieldsV1, apiextensions JSON: any value.</summary>
    Any,
}

internal sealed class GoScalar(GoScalarKind kind, string name) : GoType
{
    public GoScalarKind Kind { get; } = kind;

    public override string Name => name;

    public static readonly GoScalar String = new(GoScalarKind.String, "string");
    public static readonly GoScalar Bool = new(GoScalarKind.Bool, "bool");
    public static readonly GoScalar Int32 = new(GoScalarKind.Int32, "int32");
    public static readonly GoScalar Int64 = new(GoScalarKind.Int64, "int64");
    public static readonly GoScalar Float64 = new(GoScalarKind.Float64, "float64");
    public static readonly GoScalar Bytes = new(GoScalarKind.Bytes, "[]uint8");
    public static readonly GoScalar Time = new(GoScalarKind.Time, "v1.Time");
    public static readonly GoScalar MicroTime = new(GoScalarKind.MicroTime, "v1.MicroTime");
    public static readonly GoScalar IntOrString = new(GoScalarKind.IntOrString, "intstr.IntOrString");
    public static readonly GoScalar Quantity = new(GoScalarKind.Quantity, "resource.Quantity");
    public static readonly GoScalar Any = new(GoScalarKind.Any, "runtime.RawExtension");
}

/// <summary>
/// The Go types of the built-in kinds, read once per kind from the KubernetesClient models (k8s.Models, generated
/// from the Kubernetes OpenAPI definitions the Go types publish). Why the models and not a vendored swagger.json:
/// they are already loaded for the client, carry every field's JSON name and CLR type (from which the Go type follows:
/// <c>int?</c> is int32, <c>byte[]</c> is []byte, <c>IntOrString</c>, <c>DateTime</c> for metav1.Time), and cost
/// no file to keep in step; a kind's tree is built on first use (a few hundred reflected properties at most).
/// </summary>
internal static partial class GoTypes
{
    private static readonly ConcurrentDictionary<Type, GoStruct> Structs = new();

    /// <summary>Fields whose CLR type (DateTime) does not tell metav1.MicroTime from metav1.Time.</summary>
    private static readonly HashSet<(string Struct, string Field)> MicroTimes =
    [
        ("Event", "eventTime"), ("EventSeries", "lastObservedTime"), ("LeaseSpec", "acquireTime"), ("LeaseSpec", "renewTime"),
    ];

    /// <summary>The struct of a k8s.Models class (e.g. <c>typeof(V1ConfigMap)</c>), built once.</summary>
    public static GoStruct Of(Type model)
    {
        lock (Structs)
        {
            return Build(model);
        }
    }

    // Recursive types (JSONSchemaProps) resolve to the struct being built: it is registered before its fields are.
    private static GoStruct Build(Type model)
    {
        if (Structs.TryGetValue(model, out var known))
        {
            return known;
        }

        var go = new GoStruct("v1", GoName(model.Name));
        Structs[model] = go;
        foreach (var property in model.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonPropertyNameAttribute>() is { } json)
            {
                var type = Map(property.PropertyType);
                if (type == GoScalar.Time && MicroTimes.Contains((go.StructName, json.Name)))
                {
                    type = GoScalar.MicroTime;
                }

                go.Fields[json.Name] = type;
            }
        }

        return go;
    }

    private static GoType Map(Type clr)
    {
        clr = Nullable.GetUnderlyingType(clr) ?? clr;
        if (clr == typeof(string))
        {
            return GoScalar.String;
        }

        if (clr == typeof(bool))
        {
            return GoScalar.Bool;
        }

        if (clr == typeof(int))
        {
            return GoScalar.Int32;
        }

        if (clr == typeof(long))
        {
            return GoScalar.Int64;
        }

        if (clr == typeof(double) || clr == typeof(float))
        {
            return GoScalar.Float64;
        }

        if (clr == typeof(byte[]))
        {
            return GoScalar.Bytes;
        }

        if (clr == typeof(DateTime) || clr == typeof(DateTimeOffset))
        {
            return GoScalar.Time;
        }

        if (clr == typeof(k8s.Models.IntOrString))
        {
            return GoScalar.IntOrString;
        }

        if (clr == typeof(k8s.Models.ResourceQuantity))
        {
            return GoScalar.Quantity;
        }

        if (clr.IsGenericType && clr.GetGenericArguments() is var args)
        {
            if (args.Length == 2 && clr.GetInterfaces().Append(clr).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)))
            {
                return new GoMap(Map(args[1]));
            }

            if (args.Length == 1 && typeof(IEnumerable).IsAssignableFrom(clr))
            {
                return new GoSlice(Map(args[0]));
            }
        }

        return clr.IsClass && clr.Namespace == "k8s.Models" && clr.GetCustomAttribute<JsonConverterAttribute>() is null
            ? Build(clr)
            : GoScalar.Any;
    }

    /// <summary><c>V1ServicePort</c> → <c>ServicePort</c>; <c>Corev1Event</c> → <c>Event</c> (the group-qualified model names).</summary>
    private static string GoName(string model) => VersionPrefix().Replace(model, "");

    [GeneratedRegex(@"^([A-Z][a-z]*)?[Vv]\d+((alpha|beta)\d+)?(?=[A-Z])")]
    private static partial Regex VersionPrefix();
}
