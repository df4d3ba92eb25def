// The app's one identity: storage, Key Vault references, telemetry, Microsoft Graph and (by default) the bot itself.

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object

@description('Name of the user-assigned managed identity.')
param name string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
