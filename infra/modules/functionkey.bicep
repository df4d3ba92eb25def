// The app's function key in Key Vault: the host's default key, which alert senders (Azure Monitor action
// groups, Alertmanager, Grafana) add to the alert URLs as ?code=. Deployed after the app, so its keys exist.
// The key never appears in a deployment output; read it from the vault (docs/deployment.md).

@description('Key Vault name (the vault made by keyvault.bicep).')
param keyVaultName string

@description('Function App name (the app made by functionapp.bicep).')
param functionAppName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource functionKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'function-key'
  properties: {
    // checkov:skip=CKV_AZURE_41: the host key has no expiry of its own; it is rotated by renewing it on the app and redeploying, which rewrites this secret
    value: listKeys(resourceId('Microsoft.Web/sites/host', functionAppName, 'default'), '2024-04-01').functionKeys.default
    contentType: 'text/plain'
  }
}

output secretName string = functionKeySecret.name
output secretUri string = functionKeySecret.properties.secretUri
