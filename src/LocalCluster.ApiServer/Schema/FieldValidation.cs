namespace Vers.LocalCluster.ApiServer.Schema;

/// <summary>How the server treats unknown fields in a write (the <c>fieldValidation</c> query parameter).</summary>
internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}
