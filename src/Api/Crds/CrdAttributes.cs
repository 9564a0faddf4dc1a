namespace Vers.Api.Crds;

/// <summary>A column `kubectl get` shows for the kind (CRD additionalPrinterColumns).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class PrinterColumnAttribute(string name, string jsonPath, string type = "string") : Attribute
{
    public string Name { get; } = name;

    public string JsonPath { get; } = jsonPath;

    public string Type { get; } = type;

    public string? Description { get; init; }

    public int Priority { get; init; }
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class ShortNamesAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

[AttributeUsage(AttributeTargets.Class)]
public sealed class CategoriesAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>
/// The property, or on a type every property of that type (a kind's spec), may not change once set: CEL rule
/// <c>self == oldSelf</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class)]
public sealed class ImmutableAttribute(string message) : Attribute
{
    public string Message { get; } = message;
}

/// <summary>A list merged by key (x-kubernetes-list-type: map), e.g. conditions by type.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListMapAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}

/// <summary>Numeric lower bound in the schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinimumAttribute(long value) : Attribute
{
    public long Value { get; } = value;
}

/// <summary>
/// The kind's status is part of the object, written with it, with no /status subresource: for kinds whose status is
/// a pure function of their spec (a Tag's reference), so it can be set in the create — one request, not two.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NoStatusSubresourceAttribute : Attribute;
